//! Issue 20: floods and codes in the SMS outbox. `sms_outbox` gains the keyed hash of the
//! number (`phone_hash`, indexed with the time: the per-number caps count over it) and the text
//! the provider sends, encrypted (`body_enc`); `body` keeps only the masked text admins read.
//! Rows written before hold their codes in `body`: the codes are masked here (the key is not
//! available to a migration, so those rows get no `body_enc` and no `phone_hash`).

use sea_orm_migration::prelude::*;

use super::schema::{index, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0021_sms_limits"
    }
}

/// What a code looks like in the messages sent before: six characters after these words.
const CODE_LABELS: [&str; 2] = ["查询码 ", "验证码 "];
/// The purposes whose messages carried a code.
const WITH_CODES: &str = "('opinion_receipt', 'appointment_receipt', 'lost_code')";

/// The body with every code after a label replaced by `******`.
pub fn mask_legacy(body: &str) -> String {
    let mut out = body.to_string();
    for label in CODE_LABELS {
        let mut from = 0;
        while let Some(i) = out[from..].find(label) {
            let start = from + i + label.len();
            let code: String = out[start..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            if code.is_empty() {
                from = start;
                continue;
            }
            out.replace_range(start..start + code.len(), "******");
            from = start + "******".len();
        }
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [text_null("phone_hash"), text_null("body_enc")] {
            m.alter_table(Table::alter().table(Alias::new("sms_outbox")).add_column(col).to_owned()).await?;
        }
        m.create_index(index("sms_outbox", "ix_sms_outbox_phone", &["phone_hash", "created_at"], false)).await?;
        let c = m.get_connection();
        let sql = format!("SELECT id, body FROM sms_outbox WHERE purpose IN {WITH_CODES}");
        for r in crate::db::query_rows(c, &sql, vec![]).await? {
            let (id, body): (i64, String) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
            let masked = mask_legacy(&body);
            if masked != body {
                crate::db::exec(c, "UPDATE sms_outbox SET body = $1 WHERE id = $2", vec![masked.into(), id.into()])
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_sms_outbox_phone").table(Alias::new("sms_outbox")).to_owned()).await?;
        for col in ["body_enc", "phone_hash"] {
            m.alter_table(Table::alter().table(Alias::new("sms_outbox")).drop_column(Alias::new(col)).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::mask_legacy;

    #[test]
    fn codes_of_old_messages_are_masked() {
        assert_eq!(
            mask_legacy("【数字人大】您反映的问题已收到，查询编号 20260101000012，查询码 AB3K9Z。可在"),
            "【数字人大】您反映的问题已收到，查询编号 20260101000012，查询码 ******。可在"
        );
        assert_eq!(mask_legacy("验证码 012345，10 分钟内有效"), "验证码 ******，10 分钟内有效");
        assert_eq!(mask_legacy("已确认，请按时前往。"), "已确认，请按时前往。");
    }
}
