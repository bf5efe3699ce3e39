//! The `renda` command line: every subcommand picks its database the same way
//! (`DATABASE_URL` when set, else the SQLite file in `--data-dir`).

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use sea_orm::DatabaseConnection;

use crate::app::config::{self, CliOverrides, Config, LogFormat};
use crate::audit::{self, Actor};
use crate::auth::{self, Scope};
use crate::db;

#[derive(Parser, Debug)]
#[command(name = "renda", version, about = "数字人大：人大日常工作开放平台")]
pub struct Cli {
    /// 数据目录（SQLite 数据库与附件所在）
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// 配置文件（默认 ./renda.toml）
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// 启动服务
    Serve(ServeArgs),
    /// 启动演示：空库时生成演示数据，然后提供服务
    Demo(DemoArgs),
    /// 执行数据库迁移
    Migrate,
    /// API 令牌
    #[command(subcommand)]
    Token(TokenCommand),
    /// 审计日志
    #[command(subcommand)]
    Audit(AuditCommand),
    /// 后台任务
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// 在线备份 SQLite 数据库到文件
    Backup { file: PathBuf },
    /// 从备份文件恢复 SQLite 数据库（服务须已停止）
    Restore { file: PathBuf },
    /// 配置
    #[command(subcommand)]
    Config(ConfigCommand),
    /// 导入：renda import deputies 名册.xlsx [--organ 机关代码] [--dry-run]；renda import areas 区划.csv；
    /// renda import suggestions 建议汇总表.xlsx [--organ 机关代码] [--year 2025] [--dry-run]
    Import {
        /// deputies（代表名册）、areas（行政区划，.csv 或 .xlsx）或 suggestions（往年代表建议及答复）
        what: String,
        file: PathBuf,
        /// 导入到哪个机关（机关代码；默认本系统的主机关）
        #[arg(long)]
        organ: Option<String>,
        /// 只检查并列出将新增、修改的代表或将导入的建议，不写入
        #[arg(long)]
        dry_run: bool,
        /// 表中没有“年度”列时建议所属的年度（代表建议；默认去年）
        #[arg(long)]
        year: Option<i64>,
    },
    /// 导出：renda export deputies 名册.xlsx [--organ 机关代码]
    Export {
        what: String,
        file: PathBuf,
        #[arg(long)]
        organ: Option<String>,
        /// 包含完整手机号和出生日期（默认脱敏）；导出记入审计日志
        #[arg(long)]
        with_personal_data: bool,
    },
    /// 生成合成数据（规模测试用）：renda gen --deputies 2800000 --stations 200000 --opinions 1000000 --suggestions 1000000
    Gen {
        #[arg(long, default_value_t = 0)]
        deputies: u64,
        #[arg(long, default_value_t = 0)]
        stations: u64,
        /// 群众意见条数（需要已有联络站：先前生成的、导入的，或与 --stations 同时生成）
        #[arg(long, default_value_t = 0)]
        opinions: u64,
        /// 代表建议件数（需要已有在任代表：先前生成的、导入的，或与 --deputies 同时生成；最多 1000000）
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
        suggestions: u64,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// 监听地址
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// 演示账号的密码
    #[arg(long, default_value = crate::demo::DEFAULT_PASSWORD)]
    pub demo_password: String,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// 为账号创建 API 令牌，最后一行输出令牌
    Create {
        #[arg(long)]
        user: String,
        /// read 或 write（默认：与账号权限相同，即 write）
        #[arg(long, default_value = "write")]
        scope: String,
        /// 令牌用途
        #[arg(long, default_value = "命令行创建")]
        name: String,
    },
    /// 吊销令牌
    Revoke {
        #[arg(long)]
        user: String,
        #[arg(long)]
        id: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// 校验审计链，并按存储的选票重新计算每次已结束的投票、与结束时签署的计票摘要比对：完整时退出码 0，否则指出问题并返回非零
    Verify,
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// 立即运行一个后台任务，如 renda jobs run deadline-scan --now 2026-12-08T09:00:00+08:00
    Run {
        /// 任务类型（deadline-scan、extend_duty_slots ……）
        kind: String,
        /// 按这个时间运行（RFC 3339；默认现在），用于运维补跑和测试
        #[arg(long)]
        now: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// 检查配置，逐项报告问题
    Check,
}

/// Written by `renda demo` into its data directory: the other commands then accept the demo
/// secrets for that directory (and only for it), so `renda audit verify` works on a demo.
const DEMO_MARKER: &str = ".renda-demo";

fn data_dir_is_demo(cli: &Cli) -> bool {
    let dir = cli
        .data_dir
        .clone()
        .or_else(|| std::env::var("RENDA_DATA_DIR").ok().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("./renda-data"));
    dir.join(DEMO_MARKER).exists()
}

fn load_config(cli: &Cli, listen: Option<String>, demo: bool) -> Result<Config, i32> {
    let overrides = CliOverrides { listen, data_dir: cli.data_dir.clone(), config_file: cli.config.clone(), demo };
    config::load(&overrides, &|k| std::env::var(k).ok()).map_err(|errors| {
        eprintln!("配置有误（共 {} 处）：", errors.len());
        for e in errors {
            eprintln!("  - {e}");
        }
        2
    })
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RENDA_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Human => builder.try_init(),
    };
}

async fn open(config: &Config) -> Result<DatabaseConnection, i32> {
    open_with(config, 8).await
}

/// [`open`] with at most `sqlite_connections` pooled SQLite connections.
async fn open_with(config: &Config, sqlite_connections: u32) -> Result<DatabaseConnection, i32> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            eprintln!("无法创建数据目录 {}：{e}", config.data_dir.display());
            1
        })?;
    }
    db::connect_and_migrate_with(&config.database_url(), sqlite_connections).await.map_err(|e| {
        eprintln!("无法打开数据库 {}：{e}", redact(&config.database_url()));
        1
    })
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

/// Holds the data directory for a running server, so `restore` cannot overwrite it underneath.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File, i32> {
    let file =
        std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("renda.lock")).map_err(
            |e| {
                eprintln!("无法创建锁文件：{e}");
                1
            },
        )?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => {
            eprintln!("数据目录 {} 正被另一个 renda 进程使用", dir.display());
            Err(1)
        }
    }
}

pub async fn run(cli: Cli) -> i32 {
    match run_inner(cli).await {
        Ok(code) => code,
        Err(code) => code,
    }
}

async fn run_inner(cli: Cli) -> Result<i32, i32> {
    match &cli.command {
        Command::Config(ConfigCommand::Check) => {
            let config = load_config(&cli, None, false)?;
            println!("配置正确：监听 {}，数据库 {}", config.listen, redact(&config.database_url()));
            Ok(0)
        }
        Command::Serve(args) => {
            let config = load_config(&cli, args.listen.clone(), false)?;
            init_logging(config.log_format);
            let db = open(&config).await?;
            let _lock = if config.is_sqlite() { Some(lock_data_dir(&config.data_dir)?) } else { None };
            serve(config, db).await
        }
        Command::Demo(args) => {
            let config = load_config(&cli, Some(args.listen.clone()), true)?;
            init_logging(config.log_format);
            if let Err(m) = crate::auth::password::check_policy(&args.demo_password) {
                eprintln!("--demo-password 不符合密码规则：{m}");
                return Err(2);
            }
            let db = open(&config).await?;
            let _lock = if config.is_sqlite() { Some(lock_data_dir(&config.data_dir)?) } else { None };
            if std::fs::create_dir_all(&config.data_dir)
                .and_then(|_| std::fs::write(config.data_dir.join(DEMO_MARKER), "renda demo\n"))
                .is_err()
            {
                eprintln!("无法在 {} 写入演示标记", config.data_dir.display());
                return Err(1);
            }
            let state = crate::modules::state(db.clone(), config.clone());
            if !crate::demo::has_data(&db).await.map_err(|_| 1)? {
                println!("正在生成演示数据……");
                crate::demo::seed(
                    &state.writer,
                    state.audit_key(),
                    &state.crypto,
                    config.password_cost,
                    &args.demo_password,
                )
                .await
                .map_err(|e| {
                    eprintln!("生成演示数据失败：{}", e.detail());
                    1
                })?;
            }
            println!("演示账号（密码均为 {}）：", args.demo_password);
            for a in crate::demo::ACCOUNTS {
                println!("  {:<8} {}（{}）", a.username, a.role.label(), a.display_name);
            }
            println!("  cw01 … cw10 代表（本届常委会的其他组成人员，会议签到和表决）");
            serve(config, db).await
        }
        Command::Migrate => {
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            open(&config).await?;
            println!("数据库已是最新结构：{}", redact(&config.database_url()));
            Ok(0)
        }
        Command::Token(cmd) => {
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            let db = open(&config).await?;
            let writer = db::writer::Writer::new(&db, db::writer::Limits::default());
            let (user, rest) = match cmd {
                TokenCommand::Create { user, .. } | TokenCommand::Revoke { user, .. } => (user, cmd),
            };
            let row = db::query_rows(
                &db,
                "SELECT id FROM accounts WHERE username = $1 AND disabled = $2",
                vec![user.as_str().into(), false.into()],
            )
            .await
            .map_err(|_| 1)?;
            let Some(account_id) = row.first().and_then(|r| r.try_get_by_index::<i64>(0).ok()) else {
                eprintln!("账号 {user} 不存在或已停用");
                return Err(1);
            };
            let actor = Actor { account_id: None, name: "命令行".into(), on_behalf_of: None, client: "cli".into() };
            match rest {
                TokenCommand::Create { scope, name, .. } => {
                    let Some(scope) = Scope::parse(scope) else {
                        eprintln!("--scope 应为 read 或 write");
                        return Err(2);
                    };
                    let (id, token) =
                        auth::create_token(&writer, &config, &actor, account_id, name, scope).await.map_err(|e| {
                            eprintln!("创建令牌失败：{e}");
                            1
                        })?;
                    println!("已为 {user} 创建令牌 #{id}（{}），只显示这一次：", scope.as_str());
                    println!("{token}");
                    Ok(0)
                }
                TokenCommand::Revoke { id, .. } => {
                    if auth::revoke_token(&writer, &config, &actor, account_id, *id).await.map_err(|_| 1)? {
                        println!("令牌 #{id} 已吊销");
                        Ok(0)
                    } else {
                        eprintln!("令牌 #{id} 不存在或已吊销");
                        Err(1)
                    }
                }
            }
        }
        Command::Jobs(JobsCommand::Run { kind, now }) => {
            let at = match now.as_deref() {
                None => crate::db::now(),
                Some(t) => match chrono::DateTime::parse_from_rfc3339(t.trim()) {
                    Ok(t) => t.timestamp(),
                    Err(_) => {
                        eprintln!("--now 应为 RFC 3339 时间，如 2026-12-08T09:00:00+08:00");
                        return Err(2);
                    }
                },
            };
            let Some(job) = crate::modules::state_modules().job(kind) else {
                let kinds: Vec<&str> = crate::modules::state_modules().all_jobs().collect();
                eprintln!("没有这种任务：{kind}（可用：{}）", kinds.join("、"));
                return Err(2);
            };
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            let db = open(&config).await?;
            let state = crate::modules::state(db, config);
            match (job.run)(&state, &serde_json::json!({ "now": at }).to_string()).await {
                Ok(()) => {
                    println!("任务 {kind} 已完成");
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("任务 {kind} 失败：{e}");
                    Err(1)
                }
            }
        }
        Command::Audit(AuditCommand::Verify) => {
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            let db = open(&config).await?;
            // Stored as a whole check: the audit page shows when the chain was last walked whole.
            match audit::checks::check_whole(&db, &config.secrets.audit_key, audit::checks::By::Command, db::now())
                .await
            {
                Ok(Ok(n)) => {
                    println!("审计链完整：共 {n} 条记录");
                    // MTG-5: every closed ballot recounted against the digest its closing entry signed.
                    match crate::ballot::integrity::verify_all(&db).await {
                        Ok(r) if r.faults.is_empty() => {
                            println!("投票重新计票一致：共 {} 次投票", r.checked);
                            if !r.unsigned.is_empty() {
                                println!("另有 {} 次投票结束于计票摘要启用之前，无从比对", r.unsigned.len());
                            }
                            Ok(0)
                        }
                        Ok(r) => {
                            for f in &r.faults {
                                eprintln!("投票校验失败：{f}");
                            }
                            Err(3)
                        }
                        Err(e) => {
                            eprintln!("无法读取投票记录：{e}");
                            Err(1)
                        }
                    }
                }
                Ok(Err(e)) => {
                    eprintln!("审计链校验失败：{e}");
                    Err(3)
                }
                Err(e) => {
                    eprintln!("无法读取审计日志：{e}");
                    Err(1)
                }
            }
        }
        Command::Backup { file } => {
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            if !config.is_sqlite() {
                eprintln!("PostgreSQL 请用 pg_dump 备份，见 docs/OPERATIONS.md");
                return Err(2);
            }
            if file.exists() {
                eprintln!("备份文件 {} 已存在，请换一个文件名", file.display());
                return Err(2);
            }
            let db = open(&config).await?;
            let target = file.to_string_lossy().replace('\'', "''");
            db::exec(&db, &format!("VACUUM INTO '{target}'"), vec![]).await.map_err(|e| {
                eprintln!("备份失败：{e}");
                1
            })?;
            println!("已备份到 {}", file.display());
            Ok(0)
        }
        Command::Import { what, file, .. } if what == "areas" => {
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            let db = open(&config).await?;
            import_areas(&crate::modules::state(db, config), file).await
        }
        Command::Import { what, file, organ, dry_run, year } if what == "suggestions" => {
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            let db = open(&config).await?;
            let state = crate::modules::state(db.clone(), config);
            let organ = cli_organ(&db, organ.as_deref()).await?;
            import_suggestions(&state, &organ, file, *year, *dry_run).await
        }
        Command::Import { what, file, organ, dry_run, .. } => {
            if what != "deputies" {
                eprintln!("目前只能导入 deputies（代表名册）、areas（行政区划）或 suggestions（代表建议）");
                return Err(2);
            }
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            let db = open(&config).await?;
            let state = crate::modules::state(db.clone(), config);
            let organ = cli_organ(&db, organ.as_deref()).await?;
            let bytes = read_import_file(file)?;
            let actor = Actor { account_id: None, name: "命令行".into(), on_behalf_of: None, client: "cli".into() };
            // Parsed before the write transaction opens, so other writers do not wait for it.
            let parsed = crate::registry::import::parse_roster(bytes).await.map_err(|issues| {
                report_issues("名册", &issues);
                3
            })?;
            let written = state
                .writer
                .run(async |txn| {
                    let plan = match crate::registry::import::check(txn, &state.crypto, &organ, &parsed).await {
                        Ok(Ok(plan)) => plan,
                        Ok(Err(issues)) => {
                            report_issues("名册", &issues);
                            return Err(Exit(3));
                        }
                        Err(e) => {
                            eprintln!("导入失败，未写入任何数据：{e}");
                            return Err(Exit(1));
                        }
                    };
                    if *dry_run {
                        use crate::registry::import::RowEffect;
                        for r in &plan.rows {
                            match &r.effect {
                                RowEffect::New => println!("第 {} 行 {}：新增", r.row, r.name),
                                RowEffect::Changed(what) => {
                                    println!("第 {} 行 {}：修改 {}", r.row, r.name, what.join("、"))
                                }
                                RowEffect::Unchanged => {}
                            }
                        }
                        let s = plan.summary();
                        println!(
                            "检查无误（未写入）：将新增 {} 人，修改 {} 人，{} 人不变",
                            s.created, s.updated, s.unchanged
                        );
                        return Err(Exit(0));
                    }
                    crate::registry::import::apply(txn, state.audit_key(), &state.crypto, &actor, &organ, &plan)
                        .await
                        .map_err(|e| {
                            eprintln!("导入失败，未写入任何数据：{}", e.detail());
                            Exit(1)
                        })
                })
                .await;
            let summary = Exit::code(written)?;
            println!(
                "已导入到 {}：新增 {} 人，更新 {} 人，未变 {} 人",
                organ.name, summary.created, summary.updated, summary.unchanged
            );
            Ok(0)
        }
        Command::Export { what, file, organ, with_personal_data } => {
            if what != "deputies" {
                eprintln!("目前只能导出 deputies（代表名册）");
                return Err(2);
            }
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            let db = open(&config).await?;
            let state = crate::modules::state(db.clone(), config);
            let organ = cli_organ(&db, organ.as_deref()).await?;
            use crate::registry::import::Privacy;
            let privacy = if *with_personal_data { Privacy::Full } else { Privacy::Masked };
            let fail = |e: sea_orm::DbErr| {
                eprintln!("导出失败：{e}");
                1
            };
            let (bytes, rows) =
                crate::registry::import::export_roster(&db, &state.crypto, &organ.path, privacy).await.map_err(fail)?;
            let actor = Actor { account_id: None, name: "命令行".into(), on_behalf_of: None, client: "cli".into() };
            crate::audit::record_export(
                &state.writer,
                state.audit_key(),
                &actor,
                Some(organ.id),
                "代表名册",
                rows,
                *with_personal_data,
            )
            .await
            .map_err(fail)?;
            std::fs::write(file, bytes).map_err(|e| {
                eprintln!("无法写入 {}：{e}", file.display());
                1
            })?;
            println!("已导出 {} 的代表名册到 {}", organ.name, file.display());
            Ok(0)
        }
        Command::Gen { deputies, stations, opinions, suggestions } => {
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            // One SQLite connection: the generators write one transaction at a time, and every
            // pooled connection is a thread with its page cache and malloc arena (issue 21).
            let db = open_with(&config, 1).await?;
            let key = config.secrets.audit_key.clone();
            let failed = |e: sea_orm::DbErr| {
                eprintln!("生成失败：{e}");
                1
            };
            // Each progress line with the process's memory (issue 21: gen under 500 MB).
            let progress = |msg: String| eprintln!("{msg}{}", memory_note());
            if *deputies > 0 || *stations > 0 {
                let started = std::time::Instant::now();
                let report = crate::registry::synthetic::generate(&db, &key, *deputies, *stations, &progress)
                    .await
                    .map_err(failed)?;
                println!(
                    "已生成 {} 名代表、{} 个代表资格、{} 个联络站，用时 {:.1} 秒",
                    report.persons,
                    report.mandates,
                    report.stations,
                    started.elapsed().as_secs_f64()
                );
            }
            if *opinions > 0 {
                let started = std::time::Instant::now();
                let crypto = crate::privacy::FieldCrypto::new(config.secrets.field_key);
                let r = crate::opinions::synthetic::generate(&db, &key, &crypto, *opinions, &progress)
                    .await
                    .map_err(failed)?;
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "已生成 {} 条群众意见（办理记录 {} 条、交办 {} 条、答复 {} 条、评价 {} 条，新建承办单位 {} 个），\
                     共 {} 行，用时 {secs:.1} 秒：{:.0} 条意见/秒，{:.0} 行/秒",
                    r.opinions,
                    r.events,
                    r.assignments,
                    r.replies,
                    r.ratings,
                    r.units_created,
                    r.rows(),
                    r.opinions as f64 / secs.max(0.001),
                    r.rows() as f64 / secs.max(0.001)
                );
            }
            if *suggestions > 0 {
                let started = std::time::Instant::now();
                let r = crate::suggestions::synthetic::generate(&db, &key, *suggestions, &progress)
                    .await
                    .map_err(failed)?;
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "已生成 {} 件代表建议（编号序列 {} 个、联名 {} 人次、办理事项 {} 件、办理记录 {} 条、交办 {} 条、\
                     沟通 {} 次、答复 {} 条、评价 {} 条，新建承办单位 {} 个），共 {} 行，用时 {secs:.1} 秒：\
                     {:.0} 件/秒，{:.0} 行/秒",
                    r.suggestions,
                    r.series,
                    r.cosigners,
                    r.items,
                    r.events,
                    r.assignments,
                    r.contacts,
                    r.replies,
                    r.ratings,
                    r.units_created,
                    r.rows(),
                    r.suggestions as f64 / secs.max(0.001),
                    r.rows() as f64 / secs.max(0.001)
                );
                let states: Vec<String> = crate::suggestions::synthetic::STATES
                    .iter()
                    .zip(r.by_state)
                    .map(|(s, n)| format!("{s} {n}"))
                    .collect();
                println!("按状态：{}", states.join("，"));
            }
            Ok(0)
        }
        Command::Restore { file } => {
            let config = load_config(&cli, None, data_dir_is_demo(&cli))?;
            if !config.is_sqlite() {
                eprintln!("PostgreSQL 请用 pg_restore 恢复，见 docs/OPERATIONS.md");
                return Err(2);
            }
            restore(&config, file).await
        }
    }
}

/// Reads a file to import, refusing one larger than any import accepts (exit 3) before
/// reading it into memory.
/// "（内存 N MB，峰值 M MB）": the resident and peak resident memory of this process
/// (`VmRSS`, `VmHWM` of /proc/self/status); empty where there is no /proc.
fn memory_note() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return String::new() };
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    match (kb("VmRSS:"), kb("VmHWM:")) {
        (Some(rss), Some(hwm)) => format!("（内存 {} MB，峰值 {} MB）", rss / 1024, hwm / 1024),
        _ => String::new(),
    }
}

fn read_import_file(file: &Path) -> Result<Vec<u8>, i32> {
    use std::io::Read;
    let max = crate::sheet::Limits::default().max_file_bytes;
    let cant = |e: std::io::Error| {
        eprintln!("无法读取 {}：{e}", file.display());
        1
    };
    let mut bytes = Vec::new();
    std::fs::File::open(file).and_then(|f| f.take(max + 1).read_to_end(&mut bytes)).map_err(cant)?;
    if bytes.len() as u64 > max {
        let len = std::fs::metadata(file).map(|m| m.len()).unwrap_or(max + 1);
        eprintln!("{}", crate::sheet::SheetError::FileTooLarge { bytes: len, max }.message());
        return Err(3);
    }
    Ok(bytes)
}

/// Prints an import's problem report, every problem on its own line.
fn report_issues(what: &str, issues: &[crate::registry::roster::RowIssue]) {
    eprintln!("{what}有 {} 处问题，未导入任何数据：", issues.len());
    for i in issues {
        if i.row == 0 {
            eprintln!("  {}", i.reason);
        } else {
            eprintln!("  第 {} 行「{}」：{}", i.row, i.column, i.reason);
        }
    }
}

/// `renda import suggestions FILE`: exit 0 with the counts (or, with `--dry-run`, the plan), 3
/// with the row report (nothing written).
async fn import_suggestions(
    state: &crate::app::state::AppState,
    organ: &crate::org::Organ,
    file: &Path,
    year: Option<i64>,
    dry_run: bool,
) -> Result<i32, i32> {
    use crate::suggestions::import;
    let bytes = read_import_file(file)?;
    let now = db::now();
    let year = year.unwrap_or_else(|| import::last_year(now));
    // Parsed before the write transaction opens, so other writers do not wait for it.
    let parsed = import::parse_blocking(bytes).await.map_err(|issues| {
        report_issues("建议汇总表", &issues);
        3
    })?;
    let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let actor = Actor { account_id: None, name: "命令行".into(), on_behalf_of: None, client: "cli".into() };
    let failed = |e: crate::app::error::AppError| {
        eprintln!("导入失败，未写入任何数据：{}", e.detail());
        Exit(1)
    };
    let written = state
        .writer
        .run(async |txn| {
            let plan = match import::plan(txn, organ, &parsed, year).await.map_err(failed)? {
                Ok(plan) => plan,
                Err(issues) => {
                    report_issues("建议汇总表", &issues);
                    return Err(Exit(3));
                }
            };
            let states: Vec<String> = plan.by_state().iter().map(|(l, n)| format!("{l} {n} 件")).collect();
            if dry_run {
                for r in &plan.rows {
                    println!("第 {} 行 {}年第{}号 {}：{}", r.row, r.year, r.number, r.title, r.state_label());
                }
                println!("检查无误（未写入）：将导入 {} 件（{}）", plan.rows.len(), states.join("，"));
                return Err(Exit(0));
            }
            let sum =
                import::apply(state, txn, state.audit_key(), &actor, organ, &plan, &name, now).await.map_err(failed)?;
            Ok((sum, states))
        })
        .await;
    let (sum, states) = Exit::code(written)?;
    println!("已导入到 {}：代表建议 {} 件（{}）", organ.name, sum.imported, states.join("，"));
    Ok(0)
}

/// `renda import areas FILE`: exit 0 with the counts, 3 with the row report (nothing written).
async fn import_areas(state: &crate::app::state::AppState, file: &Path) -> Result<i32, i32> {
    use crate::org::area_import::{AreaImportError, import_areas, parse_blocking};
    let bytes = read_import_file(file)?;
    let started = std::time::Instant::now();
    let actor = Actor { account_id: None, name: "命令行".into(), on_behalf_of: None, client: "cli".into() };
    // Parsed before the write transaction opens, so other writers do not wait for it.
    let rows = parse_blocking(bytes).await.map_err(|issues| {
        report_issues("区划文件", &issues);
        3
    })?;
    let written = state
        .writer
        .run(async |txn| match import_areas(txn, state.audit_key(), &actor, &rows).await {
            Ok(s) => Ok(s),
            Err(AreaImportError::Rows(issues)) => {
                report_issues("区划文件", &issues);
                Err(Exit(3))
            }
            Err(AreaImportError::Db(e)) => {
                eprintln!("导入失败，未写入任何数据：{}", e.detail());
                Err(Exit(1))
            }
        })
        .await;
    let s = Exit::code(written)?;
    let secs = started.elapsed().as_secs_f64();
    println!("区划已导入：新增 {} 个，更新 {} 个，未变 {} 个，用时 {secs:.1} 秒", s.created, s.updated, s.unchanged);
    Ok(0)
}

/// How a command's write ended when it did not write: its exit code, the write rolled back (a
/// dry run ends with 0, a report of bad rows with 3, a failure with 1).
struct Exit(i32);

impl From<sea_orm::DbErr> for Exit {
    fn from(e: sea_orm::DbErr) -> Exit {
        eprintln!("写入失败，未写入任何数据：{e}");
        Exit(1)
    }
}

impl Exit {
    /// The written value, or the command's exit (0 is a success that wrote nothing).
    fn code<T>(written: Result<T, Exit>) -> Result<T, i32> {
        written.map_err(|Exit(code)| code)
    }
}

/// The organ a command works on: `--organ CODE`, else the installation's main organ.
async fn cli_organ(db: &DatabaseConnection, code: Option<&str>) -> Result<crate::org::Organ, i32> {
    let found = match code {
        Some(c) => crate::org::organ_by_code(db, c).await,
        None => crate::org::default_organ(db).await,
    };
    match found {
        Ok(Some(o)) if !o.external => Ok(o),
        Ok(_) => {
            eprintln!("找不到机关{}", code.map(|c| format!(" {c}")).unwrap_or_default());
            Err(2)
        }
        Err(e) => {
            eprintln!("无法读取机关：{e}");
            Err(1)
        }
    }
}

async fn serve(config: Config, db: DatabaseConnection) -> Result<i32, i32> {
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|e| {
        eprintln!("无法监听 {}：{e}", config.listen);
        1
    })?;
    let addr = listener.local_addr().map_err(|_| 1)?;
    println!("renda 已启动：http://{addr}/");
    let state = crate::modules::state(db, config);
    crate::app::serve(state, listener).await.map_err(|e| {
        eprintln!("服务异常退出：{e}");
        1
    })?;
    Ok(0)
}

async fn restore(config: &Config, file: &Path) -> Result<i32, i32> {
    let header = std::fs::read(file).map(|b| b.get(..16).map(|h| h.to_vec())).map_err(|e| {
        eprintln!("无法读取备份文件 {}：{e}", file.display());
        1
    })?;
    if header.as_deref() != Some(b"SQLite format 3\0".as_slice()) {
        eprintln!("{} 不是 renda 的 SQLite 备份文件", file.display());
        return Err(2);
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|_| 1)?;
    let _lock = lock_data_dir(&config.data_dir)?;
    // Copy the backup next to the live file first, then check the copy is a renda database
    // with an intact audit chain before anything is replaced; the backup itself stays untouched.
    let target = config.data_dir.join("renda.db");
    let staging = config.data_dir.join("renda.db.restoring");
    let discard_staging = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(config.data_dir.join(format!("renda.db.restoring{suffix}")));
        }
    };
    discard_staging();
    std::fs::copy(file, &staging).map_err(|e| {
        eprintln!("复制备份失败：{e}");
        1
    })?;
    let verified = match db::connect(&format!("sqlite://{}", staging.display())).await {
        Ok(probe) => {
            let v = audit::verify(&probe, &config.secrets.audit_key).await;
            let _ = db::exec(&probe, "PRAGMA wal_checkpoint(TRUNCATE)", vec![]).await;
            probe.close().await.ok();
            v
        }
        Err(e) => {
            discard_staging();
            eprintln!("无法打开备份文件：{e}");
            return Err(1);
        }
    };
    match verified {
        Ok(Ok(n)) => println!("备份文件校验通过：审计链 {n} 条记录完整"),
        Ok(Err(e)) => {
            discard_staging();
            eprintln!("备份文件的审计链校验失败：{e}");
            return Err(3);
        }
        Err(_) => {
            discard_staging();
            eprintln!("{} 不是 renda 的数据库备份", file.display());
            return Err(2);
        }
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(config.data_dir.join(format!("renda.db.restoring{suffix}")));
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(config.data_dir.join(format!("renda.db{suffix}")));
    }
    std::fs::rename(&staging, &target).map_err(|e| {
        eprintln!("替换数据库失败：{e}");
        1
    })?;
    println!("已从 {} 恢复到 {}", file.display(), target.display());
    Ok(0)
}
