use super::*;
use crate::properties::readme::{globals_sentence, readme_table};
use crate::properties::value_limits::ValueLimits;
use crate::template::context::ExpansionContext;

#[test]
fn names_are_unique_and_list_merge_keys_are_entry_keys() {
    for (index, property) in PROPERTIES.iter().enumerate() {
        assert!(
            PROPERTIES[..index].iter().all(|p| p.name != property.name),
            "{} is declared twice",
            property.name
        );
        if let Shape::List(ListShape {
            entry,
            merge_key: Some(key),
        }) = property.shape
        {
            assert!(entry.keys().contains(&key), "{}", property.name);
        }
    }
}

#[test]
fn the_limits_are_what_the_checks_accept() {
    let context = ExpansionContext::new("us-east-1", "123456789012");
    for property in PROPERTIES {
        match (property.shape, property.limits) {
            (Shape::WholeNumber(Some(check)), limits) => {
                for number in 0..=150_000 {
                    assert_eq!(
                        check(number).is_ok(),
                        limits.allows_number(number) == Some(true),
                        "{} at {number}",
                        property.name
                    );
                }
            }
            (Shape::Text(Some(check)), ValueLimits::OneOf(texts)) => {
                for text in texts {
                    assert!(check(text, &context).is_ok(), "{} {text}", property.name);
                    // Written in the other case, the value is refused (`arm64`, `Blocking`).
                    let other = if *text == text.to_lowercase() {
                        text.to_uppercase()
                    } else {
                        text.to_lowercase()
                    };
                    assert!(
                        check(&other, &context).is_err(),
                        "{} {other}",
                        property.name
                    );
                }
            }
            (Shape::Text(_), ValueLimits::OneOf(_) | ValueLimits::Pattern(_))
            | (_, ValueLimits::Unlimited) => {}
            (shape, limits) => {
                panic!("{}: limits {limits:?} do not fit {shape:?}", property.name)
            }
        }
    }
}

#[test]
fn the_readme_table_is_the_declarations() {
    let readme = include_str!("../../../README.md");
    let table = readme_table();
    assert!(
        readme.contains(&table),
        "README.md's property table differs from src/properties/declarations.rs; the table the declarations give is:\n\n{table}"
    );
}

#[test]
fn the_readme_globals_sentence_is_the_declarations() {
    let readme = include_str!("../../../README.md");
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = globals_sentence();
    assert!(
        words(readme).contains(&words(&sentence)),
        "README.md's Globals sentence differs from src/properties/declarations.rs; the declarations give:\n\n{sentence}"
    );
}
