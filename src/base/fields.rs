//! Field errors collected so that a form or a body names every problem at once, and ends as
//! one 422 (`AppError::Invalid`). Imports nothing but the error type, so that the model files
//! below the pages can use it.

use crate::base::error::{AppError, AppResult, FieldError};

/// The field errors of one form or body, collected so that every problem is named at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors::default()
    }
    /// Notes a problem with a field.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Nothing wrong, or a 422 whose detail is every message, joined by 「；」.
    pub fn check(self) -> AppResult<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let detail = self.0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("；");
        Err(AppError::Invalid { detail, fields: self.0 })
    }
    /// Nothing wrong, or a 422 whose detail counts the problems (「有 N 处输入需要修改」).
    pub fn check_counted(self) -> AppResult<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(AppError::Invalid { detail: format!("有 {} 处输入需要修改", self.0.len()), fields: self.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_name_every_problem() {
        assert!(FieldErrors::new().check().is_ok());
        let mut e = FieldErrors::new();
        e.add("name", "请填写名称");
        e.push(FieldError { field: "phone".into(), message: "手机号有误".into() });
        assert!(!e.is_empty());
        let Err(AppError::Invalid { detail, fields }) = e.check() else { panic!("422 expected") };
        assert_eq!(detail, "请填写名称；手机号有误");
        assert_eq!(fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["name", "phone"]);
        let mut e = FieldErrors::new();
        e.add("a", "x");
        e.add("b", "y");
        let Err(AppError::Invalid { detail, .. }) = e.check_counted() else { panic!("422 expected") };
        assert_eq!(detail, "有 2 处输入需要修改");
    }
}
