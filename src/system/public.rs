//! Public pages for citizens (phone first): the home page here, 我要找代表 and the deputy and
//! station pages in `registry`.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::app::error::AppResult;
use crate::app::pages::render;
use crate::app::state::AppState;
use crate::org;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "public/home.html")]
struct HomeTpl {
    organ_name: String,
    organ_phone: String,
    townships: Vec<String>,
}

async fn home(State(s): State<AppState>) -> AppResult<Response> {
    let organ = org::default_organ(&s.db).await?;
    let (organ_name, organ_phone, townships) = match organ {
        Some(o) => {
            let below = org::organs_under(&s.db, &o.path).await?;
            (
                o.name.clone(),
                o.phone.clone(),
                below.into_iter().filter(|b| b.id != o.id).map(|b| b.short_name).collect(),
            )
        }
        None => ("数字人大".to_string(), String::new(), Vec::new()),
    };
    render(&HomeTpl { organ_name, organ_phone, townships })
}
