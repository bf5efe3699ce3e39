//! Roles and scopes: the vocabulary the authorization layer decides with.

use serde::{Deserialize, Serialize};

/// A role an account holds; API values are the English snake_case names:
/// admin 系统管理员, staff 人大机关工作人员, leader 常委会组成人员/领导, deputy 代表,
/// unit 承办单位, keeper 联络站管理员.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Staff,
    Leader,
    Deputy,
    Unit,
    Keeper,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Admin, Role::Staff, Role::Leader, Role::Deputy, Role::Unit, Role::Keeper];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Leader => "leader",
            Role::Deputy => "deputy",
            Role::Unit => "unit",
            Role::Keeper => "keeper",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Staff => "机关工作人员",
            Role::Leader => "常委会领导",
            Role::Deputy => "人大代表",
            Role::Unit => "承办单位",
            Role::Keeper => "联络站管理员",
        }
    }
}

/// What an API token may do; a token never exceeds its account's rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Read only (GET).
    Read,
    /// Read and write within the account's rights.
    Write,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}
