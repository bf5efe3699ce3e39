//! Configuration: `renda.toml` overlaid by `RENDA_*` environment variables, validated once at start.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The secret demo mode uses when none is configured; never accepted outside demo mode.
pub const DEMO_SECRET: &str = "renda-demo-secret-not-for-production";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

/// Argon2id cost; tests use a cheap one, production the OWASP-recommended default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl PasswordCost {
    pub const PRODUCTION: PasswordCost = PasswordCost { memory_kib: 19_456, iterations: 2 };
    pub const TEST: PasswordCost = PasswordCost { memory_kib: 64, iterations: 1 };
}

/// Who registers, changes and deletes webhook endpoints (`webhook_admins`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookAdmins {
    /// Only the admins of the top organ (the default): an endpoint makes this server send
    /// requests into the network it runs in.
    Top,
    /// The admins of any organ, for their own organ's endpoints.
    Organ,
}

#[derive(Clone)]
pub struct Secrets {
    /// Signs session-bound values (CSRF tokens) and derives per-purpose keys.
    pub session_key: Vec<u8>,
    /// Keys the audit chain's HMAC.
    pub audit_key: Vec<u8>,
    /// AES-256-GCM key for personal data at rest, and the key of look-up hashes.
    pub field_key: [u8; 32],
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets { <redacted> }")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; when absent, the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    pub public_base_url: Option<String>,
    /// Host names this server answers to (`Host` header, without the port); empty = any.
    /// A request for another host gets a 400 (no host-header poisoning of links).
    pub allowed_hosts: Vec<String>,
    pub log_format: LogFormat,
    pub behind_https: bool,
    pub body_limit_bytes: usize,
    pub session_hours: i64,
    /// Days after closing when citizens' names and phones are purged from an item (PLAT-8).
    pub personal_data_retention_days: i64,
    pub login_max_failures: i64,
    pub login_lockout_minutes: i64,
    pub password_cost: PasswordCost,
    pub demo: bool,
    pub secrets: Secrets,
    pub attachments_max_bytes: usize,
    /// Deputies who must be present at a reception (OPN-12, the "321" rule: at least two).
    pub reception_min_deputies: i64,
    /// Webhook hosts allowed although they are internal addresses (loopback, private, link-local
    /// …): `host` (any port) or `host:port`, lower case; IPv6 as `[fd00::1]:8080`. Empty: none.
    pub webhook_allowed_hosts: Vec<String>,
    /// Who manages webhook endpoints (default: the top organ's admins only).
    pub webhook_admins: WebhookAdmins,
    /// How many proxies of our own stand before this server, each appending to
    /// `X-Forwarded-For`; the client is the entry that many places from the right. 0 (the
    /// default unless `behind_https` is set, then 1): the header is ignored.
    pub trusted_proxy_hops: usize,
    /// Text messages to one number per day (Beijing), every channel together; over it a
    /// message is not sent.
    pub sms_per_number_per_day: i64,
    /// Messages to one number per hour that a public request may still trigger.
    pub sms_public_per_number_per_hour: i64,
    /// A number that never got a message must be confirmed with an SMS code on the public
    /// opinion and booking forms.
    pub sms_verify_new_numbers: bool,
    /// Active public bookings of one phone at one station on one day.
    pub bookings_per_phone_per_station_day: i64,
    /// Public bookings from one client address per day.
    pub bookings_per_address_per_day: i64,
    /// A unit must record a contact with the deputy before it replies to a suggestion (SUG-6);
    /// off: a reply without one is taken and flagged to staff.
    pub suggestion_contact_required: bool,
    /// Working days a unit has to return a wrongly assigned suggestion (SUG-4; 10 by default).
    pub suggestion_return_working_days: u32,
    /// Group commit (issue 21): the most writes one commit holds, and the longest a write
    /// waits for the commit of its batch while others keep arriving.
    pub write_batch_max: usize,
    pub write_batch_wait: std::time::Duration,
}

impl Config {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("renda.db").display()),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }

    /// A configuration for tests: fixed keys, cheap hashing.
    pub fn for_tests(data_dir: &Path, database_url: String) -> Config {
        Config {
            listen: "127.0.0.1:0".parse().expect("literal address"),
            data_dir: data_dir.to_path_buf(),
            database_url: Some(database_url),
            public_base_url: None,
            allowed_hosts: Vec::new(),
            log_format: LogFormat::Human,
            behind_https: false,
            body_limit_bytes: 1024 * 1024,
            session_hours: 12,
            personal_data_retention_days: 730,
            login_max_failures: 5,
            login_lockout_minutes: 15,
            password_cost: PasswordCost::TEST,
            demo: false,
            secrets: Secrets::derive(b"test-session", b"test-audit", b"test-field"),
            attachments_max_bytes: 10 * 1024 * 1024,
            reception_min_deputies: 2,
            webhook_allowed_hosts: Vec::new(),
            webhook_admins: WebhookAdmins::Top,
            trusted_proxy_hops: 0,
            sms_per_number_per_day: 10,
            sms_public_per_number_per_hour: 5,
            sms_verify_new_numbers: false,
            bookings_per_phone_per_station_day: 1,
            bookings_per_address_per_day: 3,
            suggestion_contact_required: false,
            suggestion_return_working_days: 10,
            write_batch_max: 64,
            write_batch_wait: std::time::Duration::from_millis(5),
        }
    }
}

impl Secrets {
    fn derive(session: &[u8], audit: &[u8], field: &[u8]) -> Secrets {
        use sha2::{Digest, Sha256};
        let mut field_key = [0u8; 32];
        field_key.copy_from_slice(&Sha256::digest([b"renda-field:".as_slice(), field].concat()));
        Secrets {
            session_key: Sha256::digest([b"renda-session:".as_slice(), session].concat()).to_vec(),
            audit_key: Sha256::digest([b"renda-audit:".as_slice(), audit].concat()).to_vec(),
            field_key,
        }
    }
}

/// The file's shape; every field optional so that environment variables can fill gaps.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    public_base_url: Option<String>,
    allowed_hosts: Option<Vec<String>>,
    log_format: Option<String>,
    behind_https: Option<bool>,
    body_limit_kib: Option<i64>,
    session_hours: Option<i64>,
    personal_data_retention_days: Option<i64>,
    login_max_failures: Option<i64>,
    login_lockout_minutes: Option<i64>,
    password_memory_kib: Option<i64>,
    password_iterations: Option<i64>,
    attachments_max_mib: Option<i64>,
    reception_min_deputies: Option<i64>,
    sms_per_number_per_day: Option<i64>,
    sms_public_per_number_per_hour: Option<i64>,
    sms_verify_new_numbers: Option<bool>,
    bookings_per_phone_per_station_day: Option<i64>,
    bookings_per_address_per_day: Option<i64>,
    suggestion_contact_required: Option<bool>,
    suggestion_return_working_days: Option<i64>,
    write_batch_max: Option<i64>,
    write_batch_wait_ms: Option<i64>,
    session_secret: Option<String>,
    audit_secret: Option<String>,
    field_secret: Option<String>,
    webhook_allowed_hosts: Option<Vec<String>>,
    webhook_admins: Option<String>,
    trusted_proxy_hops: Option<i64>,
}

/// Where a value came from, so a message can name it.
fn source(key: &str, env_key: &str, from_env: bool) -> String {
    if from_env { format!("环境变量 {env_key}") } else { format!("renda.toml 的 {key}") }
}

/// Overrides from the command line (`--listen`, `--data-dir`).
#[derive(Debug, Default, Clone)]
pub struct CliOverrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    pub demo: bool,
}

/// Loads and validates; on failure returns every problem, one Chinese line each.
pub fn load(cli: &CliOverrides, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Vec<String>> {
    let mut errors = Vec::new();
    let path = cli
        .config_file
        .clone()
        .or_else(|| env("RENDA_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("renda.toml"));
    let file: FileConfig = match std::fs::read_to_string(&path) {
        Ok(text) => match toml::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                errors.push(format!("配置文件 {} 格式错误：{}", path.display(), e.message()));
                FileConfig::default()
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
        Err(e) => {
            errors.push(format!("无法读取配置文件 {}：{e}", path.display()));
            FileConfig::default()
        }
    };

    let text = |key: &str, file_value: &Option<String>| -> Option<(String, String)> {
        let env_key = format!("RENDA_{}", key.to_uppercase());
        match env(&env_key) {
            Some(v) => Some((v, source(key, &env_key, true))),
            None => file_value.clone().map(|v| (v, source(key, &env_key, false))),
        }
    };
    let int = |key: &str, file_value: Option<i64>, min: i64, max: i64, default: i64, errors: &mut Vec<String>| -> i64 {
        let env_key = format!("RENDA_{}", key.to_uppercase());
        let (raw, from) = match env(&env_key) {
            Some(v) => (v, source(key, &env_key, true)),
            None => match file_value {
                Some(v) => (v.to_string(), source(key, &env_key, false)),
                None => return default,
            },
        };
        match raw.trim().parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => v,
            _ => {
                errors.push(format!("{from} 的值“{raw}”无效：应为 {min} 到 {max} 之间的整数"));
                default
            }
        }
    };

    let listen_raw = cli
        .listen
        .clone()
        .map(|v| (v, "命令行参数 --listen".to_string()))
        .or_else(|| text("listen", &file.listen))
        .unwrap_or_else(|| ("127.0.0.1:8080".into(), "默认值".into()));
    let listen = match listen_raw.0.parse::<SocketAddr>() {
        Ok(a) => a,
        Err(_) => {
            errors.push(format!("{} 的值“{}”无效：应为“地址:端口”，例如 127.0.0.1:8080", listen_raw.1, listen_raw.0));
            "127.0.0.1:8080".parse().expect("literal address")
        }
    };
    let data_dir = cli
        .data_dir
        .clone()
        .or_else(|| text("data_dir", &file.data_dir).map(|(v, _)| PathBuf::from(v)))
        .unwrap_or_else(|| PathBuf::from("./renda-data"));

    let database_url = env("DATABASE_URL").or_else(|| file.database_url.clone());
    if let Some(url) = &database_url
        && !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        errors.push(format!("DATABASE_URL 的值“{url}”无效：应以 sqlite:// 或 postgres:// 开头"));
    }
    let public_base_url =
        text("public_base_url", &file.public_base_url).map(|(v, _)| v.trim_end_matches('/').to_string());
    if let Some(u) = &public_base_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        errors.push(format!("public_base_url 的值“{u}”无效：应以 http:// 或 https:// 开头"));
    }

    let allowed_hosts: Vec<String> = match env("RENDA_ALLOWED_HOSTS") {
        Some(v) => v.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect(),
        None => file.allowed_hosts.clone().unwrap_or_default().iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
    };
    for h in &allowed_hosts {
        if h.is_empty() || !h.chars().all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c)) {
            errors.push(format!("allowed_hosts 中的“{h}”无效：应为主机名，例如 renda.example.gov.cn"));
        }
    }

    let log_format = match text("log_format", &file.log_format) {
        None => LogFormat::Human,
        Some((v, from)) => match v.as_str() {
            "human" => LogFormat::Human,
            "json" => LogFormat::Json,
            _ => {
                errors.push(format!("{from} 的值“{v}”无效：应为 human 或 json"));
                LogFormat::Human
            }
        },
    };
    let behind_https = match env("RENDA_BEHIND_HTTPS") {
        Some(v) => match v.as_str() {
            "1" | "true" => true,
            "0" | "false" => false,
            _ => {
                errors.push(format!("环境变量 RENDA_BEHIND_HTTPS 的值“{v}”无效：应为 true 或 false"));
                false
            }
        },
        None => file.behind_https.unwrap_or(false),
    };
    let body_limit_kib = int("body_limit_kib", file.body_limit_kib, 16, 1024 * 1024, 2048, &mut errors);
    let session_hours = int("session_hours", file.session_hours, 1, 24 * 30, 12, &mut errors);
    let personal_data_retention_days =
        int("personal_data_retention_days", file.personal_data_retention_days, 30, 3650, 730, &mut errors);
    let login_max_failures = int("login_max_failures", file.login_max_failures, 1, 100, 5, &mut errors);
    let login_lockout_minutes = int("login_lockout_minutes", file.login_lockout_minutes, 1, 24 * 60, 15, &mut errors);
    let memory = int(
        "password_memory_kib",
        file.password_memory_kib,
        8,
        1024 * 1024,
        PasswordCost::PRODUCTION.memory_kib as i64,
        &mut errors,
    );
    let iterations = int(
        "password_iterations",
        file.password_iterations,
        1,
        64,
        PasswordCost::PRODUCTION.iterations as i64,
        &mut errors,
    );
    let attachments_max_mib = int("attachments_max_mib", file.attachments_max_mib, 1, 1024, 20, &mut errors);
    let reception_min_deputies = int("reception_min_deputies", file.reception_min_deputies, 1, 20, 2, &mut errors);
    let sms_per_number_per_day = int("sms_per_number_per_day", file.sms_per_number_per_day, 1, 1000, 10, &mut errors);
    let sms_public_per_number_per_hour =
        int("sms_public_per_number_per_hour", file.sms_public_per_number_per_hour, 1, 1000, 5, &mut errors);
    let sms_verify_new_numbers = match env("RENDA_SMS_VERIFY_NEW_NUMBERS") {
        Some(v) => match v.as_str() {
            "1" | "true" => true,
            "0" | "false" => false,
            _ => {
                errors.push(format!("环境变量 RENDA_SMS_VERIFY_NEW_NUMBERS 的值“{v}”无效：应为 true 或 false"));
                false
            }
        },
        None => file.sms_verify_new_numbers.unwrap_or(false),
    };
    let bookings_per_phone_per_station_day =
        int("bookings_per_phone_per_station_day", file.bookings_per_phone_per_station_day, 1, 100, 1, &mut errors);
    let bookings_per_address_per_day =
        int("bookings_per_address_per_day", file.bookings_per_address_per_day, 1, 1000, 3, &mut errors);
    let suggestion_return_working_days =
        int("suggestion_return_working_days", file.suggestion_return_working_days, 1, 60, 10, &mut errors);
    let write_batch_max = int("write_batch_max", file.write_batch_max, 1, 1000, 64, &mut errors);
    let write_batch_wait_ms = int("write_batch_wait_ms", file.write_batch_wait_ms, 0, 1000, 5, &mut errors);

    let webhook_allowed_hosts: Vec<String> = match env("RENDA_WEBHOOK_ALLOWED_HOSTS") {
        Some(v) => v.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect(),
        None => file
            .webhook_allowed_hosts
            .clone()
            .unwrap_or_default()
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
    };
    for h in &webhook_allowed_hosts {
        if !valid_host_and_port(h) {
            errors.push(format!(
                "webhook_allowed_hosts 中的“{h}”无效：应为主机名或“主机名:端口”，例如 hooks.internal:8443、127.0.0.1:9000、[fd00::1]:8080"
            ));
        }
    }
    let webhook_admins = match text("webhook_admins", &file.webhook_admins) {
        None => WebhookAdmins::Top,
        Some((v, from)) => match v.trim() {
            "top" => WebhookAdmins::Top,
            "organ" => WebhookAdmins::Organ,
            _ => {
                errors.push(format!(
                    "{from} 的值“{v}”无效：应为 top（只有最上级机关的管理员）或 organ（各机关的管理员）"
                ));
                WebhookAdmins::Top
            }
        },
    };
    // Behind a proxy set up before this key existed (`behind_https`), the proxy's own entry is used.
    let default_hops = if behind_https { 1 } else { 0 };
    let trusted_proxy_hops =
        int("trusted_proxy_hops", file.trusted_proxy_hops, 0, 10, default_hops, &mut errors) as usize;

    let mut secret = |key: &str, file_value: &Option<String>| -> Vec<u8> {
        match text(key, file_value) {
            Some((v, from)) => {
                if v.len() < 32 {
                    errors.push(format!("{from} 太短：密钥至少 32 个字符（可用 `openssl rand -hex 32` 生成）"));
                } else if v == DEMO_SECRET {
                    errors.push(format!("{from} 使用了演示密钥，只能用于 renda demo"));
                }
                v.into_bytes()
            }
            None if cli.demo => DEMO_SECRET.as_bytes().to_vec(),
            None => {
                errors.push(format!(
                    "缺少密钥 {key}：请在 renda.toml 中设置 {key}，或设置环境变量 RENDA_{}（至少 32 个字符）",
                    key.to_uppercase()
                ));
                Vec::new()
            }
        }
    };
    let session = secret("session_secret", &file.session_secret);
    let audit = secret("audit_secret", &file.audit_secret);
    let field = secret("field_secret", &file.field_secret);

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Config {
        listen,
        data_dir,
        database_url,
        public_base_url,
        allowed_hosts,
        log_format,
        behind_https,
        body_limit_bytes: body_limit_kib as usize * 1024,
        session_hours,
        personal_data_retention_days,
        login_max_failures,
        login_lockout_minutes,
        password_cost: PasswordCost { memory_kib: memory as u32, iterations: iterations as u32 },
        demo: cli.demo,
        secrets: Secrets::derive(&session, &audit, &field),
        attachments_max_bytes: attachments_max_mib as usize * 1024 * 1024,
        reception_min_deputies,
        webhook_allowed_hosts,
        webhook_admins,
        trusted_proxy_hops,
        sms_per_number_per_day,
        sms_public_per_number_per_hour,
        sms_verify_new_numbers,
        bookings_per_phone_per_station_day,
        bookings_per_address_per_day,
        suggestion_contact_required: file.suggestion_contact_required.unwrap_or(false),
        suggestion_return_working_days: suggestion_return_working_days as u32,
        write_batch_max: write_batch_max as usize,
        write_batch_wait: std::time::Duration::from_millis(write_batch_wait_ms as u64),
    })
}

/// `host`, `host:port` or `[v6]:port`, as `webhook_allowed_hosts` holds them.
fn valid_host_and_port(entry: &str) -> bool {
    let (host, port) = match entry.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, tail)) if v6.parse::<std::net::Ipv6Addr>().is_ok() => (v6, tail.strip_prefix(':')),
            _ => return false,
        },
        None => match entry.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (entry, None),
        },
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
        && (entry.starts_with('[') || !host.contains(':'));
    host_ok && port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn secrets_are_required_outside_demo() {
        let cli = CliOverrides { config_file: Some("/nonexistent/renda.toml".into()), ..Default::default() };
        let errors = load(&cli, &env_of(&[])).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("session_secret"));
    }

    #[test]
    fn demo_mode_has_default_secrets() {
        let cli =
            CliOverrides { config_file: Some("/nonexistent/renda.toml".into()), demo: true, ..Default::default() };
        let config = load(&cli, &env_of(&[])).unwrap();
        assert!(config.demo);
        assert_eq!(format!("{:?}", config.secrets), "Secrets { <redacted> }");
    }

    #[test]
    fn each_bad_value_gets_its_own_message() {
        let cli =
            CliOverrides { config_file: Some("/nonexistent/renda.toml".into()), demo: true, ..Default::default() };
        let errors = load(
            &cli,
            &env_of(&[
                ("RENDA_LISTEN", "localhost"),
                ("DATABASE_URL", "mysql://x"),
                ("RENDA_SESSION_HOURS", "abc"),
                ("RENDA_LOG_FORMAT", "xml"),
                ("RENDA_AUDIT_SECRET", "short"),
            ]),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("RENDA_LISTEN") && e.contains("localhost")));
        assert!(errors.iter().any(|e| e.contains("RENDA_SESSION_HOURS")));
        assert!(errors.iter().any(|e| e.contains("DATABASE_URL")));
    }

    #[test]
    fn webhook_and_proxy_keys_have_safe_defaults_and_are_checked() {
        let cli =
            CliOverrides { config_file: Some("/nonexistent/renda.toml".into()), demo: true, ..Default::default() };
        let c = load(&cli, &env_of(&[])).unwrap();
        assert_eq!((c.webhook_allowed_hosts.len(), c.webhook_admins, c.trusted_proxy_hops), (0, WebhookAdmins::Top, 0));
        let c = load(&cli, &env_of(&[("RENDA_BEHIND_HTTPS", "true")])).unwrap();
        assert_eq!(c.trusted_proxy_hops, 1, "an installation behind its https proxy keeps the proxy's entry");
        let c = load(
            &cli,
            &env_of(&[
                ("RENDA_WEBHOOK_ALLOWED_HOSTS", "Hooks.Internal:8443, 127.0.0.1:9000,[fd00::1]:80"),
                ("RENDA_WEBHOOK_ADMINS", "organ"),
                ("RENDA_TRUSTED_PROXY_HOPS", "2"),
                ("RENDA_BEHIND_HTTPS", "true"),
            ]),
        )
        .unwrap();
        assert_eq!(c.webhook_allowed_hosts, ["hooks.internal:8443", "127.0.0.1:9000", "[fd00::1]:80"]);
        assert_eq!((c.webhook_admins, c.trusted_proxy_hops), (WebhookAdmins::Organ, 2));
        let errors = load(
            &cli,
            &env_of(&[
                ("RENDA_WEBHOOK_ALLOWED_HOSTS", "http://x/,a:99999"),
                ("RENDA_WEBHOOK_ADMINS", "all"),
                ("RENDA_TRUSTED_PROXY_HOPS", "-1"),
            ]),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
    }

    #[test]
    fn sms_and_booking_caps_have_defaults_and_bounds() {
        let cli =
            CliOverrides { config_file: Some("/nonexistent/renda.toml".into()), demo: true, ..Default::default() };
        let c = load(&cli, &env_of(&[])).unwrap();
        assert_eq!(
            (
                c.sms_per_number_per_day,
                c.sms_public_per_number_per_hour,
                c.sms_verify_new_numbers,
                c.bookings_per_phone_per_station_day,
                c.bookings_per_address_per_day
            ),
            (10, 5, false, 1, 3)
        );
        let on =
            load(&cli, &env_of(&[("RENDA_SMS_VERIFY_NEW_NUMBERS", "true"), ("RENDA_SMS_PER_NUMBER_PER_DAY", "4")]))
                .unwrap();
        assert!(on.sms_verify_new_numbers);
        assert_eq!(on.sms_per_number_per_day, 4);
        let errors = load(&cli, &env_of(&[("RENDA_SMS_VERIFY_NEW_NUMBERS", "yes")])).unwrap_err();
        assert!(errors[0].contains("RENDA_SMS_VERIFY_NEW_NUMBERS"), "{errors:?}");
    }

    #[test]
    fn group_commit_is_configurable_and_bounded() {
        let cli =
            CliOverrides { config_file: Some("/nonexistent/renda.toml".into()), demo: true, ..Default::default() };
        let default = load(&cli, &env_of(&[])).unwrap();
        assert_eq!((default.write_batch_max, default.write_batch_wait), (64, std::time::Duration::from_millis(5)));
        let set = load(&cli, &env_of(&[("RENDA_WRITE_BATCH_MAX", "1"), ("RENDA_WRITE_BATCH_WAIT_MS", "20")])).unwrap();
        assert_eq!((set.write_batch_max, set.write_batch_wait), (1, std::time::Duration::from_millis(20)));
        let errors = load(&cli, &env_of(&[("RENDA_WRITE_BATCH_MAX", "0")])).unwrap_err();
        assert!(errors[0].contains("RENDA_WRITE_BATCH_MAX") && errors[0].contains("1 到 1000"), "{errors:?}");
    }

    #[test]
    fn the_deputies_a_reception_needs_are_bounded() {
        let cli =
            CliOverrides { config_file: Some("/nonexistent/renda.toml".into()), demo: true, ..Default::default() };
        assert_eq!(load(&cli, &env_of(&[])).unwrap().reception_min_deputies, 2);
        let three = load(&cli, &env_of(&[("RENDA_RECEPTION_MIN_DEPUTIES", "3")])).unwrap();
        assert_eq!(three.reception_min_deputies, 3);
        let errors = load(&cli, &env_of(&[("RENDA_RECEPTION_MIN_DEPUTIES", "0")])).unwrap_err();
        assert!(errors[0].contains("RENDA_RECEPTION_MIN_DEPUTIES") && errors[0].contains("1 到 20"), "{errors:?}");
    }

    #[test]
    fn the_suggestions_return_window_is_configurable_and_bounded() {
        let cli =
            CliOverrides { config_file: Some("/nonexistent/renda.toml".into()), demo: true, ..Default::default() };
        assert_eq!(load(&cli, &env_of(&[])).unwrap().suggestion_return_working_days, 10);
        let five = load(&cli, &env_of(&[("RENDA_SUGGESTION_RETURN_WORKING_DAYS", "5")])).unwrap();
        assert_eq!(five.suggestion_return_working_days, 5);
        let errors = load(&cli, &env_of(&[("RENDA_SUGGESTION_RETURN_WORKING_DAYS", "0")])).unwrap_err();
        assert!(errors[0].contains("RENDA_SUGGESTION_RETURN_WORKING_DAYS"), "{errors:?}");
    }
}
