//! Code enums in one line each: a stored ASCII code and a Chinese label per variant.
//!
//! ```ignore
//! code_enum! {
//!     /// Where a delivery is.
//!     pub enum DeliveryState {
//!         Pending = ("pending", "待推送"),
//!         Delivered = ("delivered", "已送达"),
//!     }
//! }
//! ```
//!
//! generates the enum (always `Clone, Copy, Debug, PartialEq, Eq, Hash` and serde's `Serialize`
//! and `Deserialize` as the code — so the JSON, the API schema and the database hold the same
//! string by construction; further derives such as `schemars::JsonSchema` are written above
//! it), `ALL` in declaration order, `as_str` (the stored code), `label`, `label_of` (a stored code's label) and `parse`. `parse` reads the code, trimmed; written `code_enum! { parse: labels; … }`
//! it also reads the label, and `code_enum! { parse: custom; … }` leaves `parse` to the type
//! (which can start from `from_code` / `from_label`).

/// See the module's documentation.
macro_rules! code_enum {
    (parse: labels; $($rest:tt)*) => {
        $crate::base::codes::code_enum!(@enum [
            /// The stored code or the Chinese label, trimmed.
            pub fn parse(s: &str) -> Option<Self> {
                Self::from_code(s).or_else(|| Self::from_label(s))
            }
        ] $($rest)*);
    };
    (parse: custom; $($rest:tt)*) => {
        $crate::base::codes::code_enum!(@enum [] $($rest)*);
    };
    (@enum [$($parse:tt)*]
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($code:literal, $label:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant ),+
        }

        #[allow(dead_code)]
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];

            /// The stored code.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The Chinese label.
            pub const fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }

            /// The value of a stored code (white space around it ignored).
            pub fn from_code(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.into_iter().find(|v| v.as_str() == s)
            }

            /// The Chinese label of a stored code, empty for a code it does not know (a
            /// record's column read back as text).
            pub fn label_of(code: &str) -> &'static str {
                Self::from_code(code).map(Self::label).unwrap_or("")
            }

            /// The value of a Chinese label (white space around it ignored).
            pub fn from_label(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.into_iter().find(|v| v.label() == s)
            }

            $($parse)*
        }
    };
    ($($rest:tt)*) => {
        $crate::base::codes::code_enum!(@enum [
            /// The value of a stored code (white space around it ignored).
            pub fn parse(s: &str) -> Option<Self> {
                Self::from_code(s)
            }
        ] $($rest)*);
    };
}

pub(crate) use code_enum;

#[cfg(test)]
mod tests {
    code_enum! {
        /// A test enum.
        #[derive(schemars::JsonSchema)]
        pub enum Grade {
            /// 满意
            Satisfied = ("satisfied", "满意"),
            Basically = ("basically_satisfied", "基本满意"),
            Not = ("not_satisfied", "不满意"),
        }
    }

    code_enum! {
        parse: labels;
        enum Side {
            Left = ("left", "左"),
            Right = ("right", "右"),
        }
    }

    code_enum! {
        parse: custom;
        enum Yes {
            Yes = ("yes", "是"),
        }
    }

    impl Yes {
        fn parse(s: &str) -> Option<Yes> {
            Yes::from_code(s).or(matches!(s, "y" | "1").then_some(Yes::Yes))
        }
    }

    #[test]
    fn codes_labels_and_parsers() {
        assert_eq!(Grade::ALL, [Grade::Satisfied, Grade::Basically, Grade::Not]);
        assert_eq!(Grade::Basically.as_str(), "basically_satisfied");
        assert_eq!(Grade::Not.label(), "不满意");
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.as_str()), Some(g));
            assert_eq!(Grade::parse(&format!(" {} ", g.as_str())), Some(g));
            // The code parser does not read labels; serde writes and reads the code, whatever
            // the variant's name.
            assert_eq!(Grade::parse(g.label()), None);
            assert_eq!(serde_json::to_value(g).unwrap(), g.as_str());
            assert_eq!(serde_json::from_value::<Grade>(g.as_str().into()).unwrap(), g);
        }
        assert_eq!(Grade::parse("Satisfied"), None);
        assert_eq!(Grade::parse(""), None);

        assert_eq!(Side::parse("右"), Some(Side::Right));
        assert_eq!(Side::parse(" left"), Some(Side::Left));
        assert_eq!(Side::parse("上"), None);
        assert_eq!(Side::from_label("left"), None);

        assert_eq!(Yes::parse("1"), Some(Yes::Yes));
        assert_eq!(Yes::parse("yes"), Some(Yes::Yes));
        assert_eq!(Yes::parse("是"), None);
        assert_eq!(Yes::Yes.label(), "是");
    }

    #[test]
    fn the_schema_lists_the_codes() {
        let schema = serde_json::to_value(schemars::schema_for!(Grade)).unwrap();
        let text = schema.to_string();
        for g in Grade::ALL {
            assert!(text.contains(g.as_str()), "{text}");
        }
    }
}
