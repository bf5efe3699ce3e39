//! The request as a handler reads it: `Console { page, p, s, ip }: Console` on a console page,
//! `Caller { p, s, ip }: Caller` on an API call or a write that redirects. Above `extract` and
//! `pages`, which it puts together.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::app::error::AppError;
use crate::app::extract::{Auth, ClientIp};
use crate::app::pages::Page;
use crate::app::state::AppState;
use crate::auth::Principal;

/// A console request as a page handler reads it — the page frame, the signed-in caller, the
/// state and the client's address — taken apart in the handler's arguments:
/// `Console { page, p, s, ip }: Console`.
pub struct Console {
    pub page: Page,
    pub p: Principal,
    pub s: AppState,
    pub ip: ClientIp,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, AppError> {
        let page = Page::from_request_parts(parts, s).await?;
        Caller::from_request_parts(parts, s).await.map(|Caller { p, s, ip }| Console { page, p, s, ip })
    }
}

/// The same without the page frame, for a handler that answers with a redirect or a file:
/// `Caller { p, s, ip }: Caller`. Signed out, it is the 401 of `Auth`.
pub struct Caller {
    pub p: Principal,
    pub s: AppState,
    pub ip: ClientIp,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, AppError> {
        let p = Auth::from_request_parts(parts, s).await?.0;
        Ok(Caller { p, ip: ClientIp::from_request_parts(parts, s).await?, s: s.clone() })
    }
}
