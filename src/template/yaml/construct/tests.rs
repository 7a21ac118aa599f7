use crate::template::yaml::key::python_float_repr;

#[test]
fn an_alias_is_held_to_the_depth_where_it_is_used() {
    let nested = |levels: usize| format!("{}x{}", "[".repeat(levels), "]".repeat(levels));
    let within = format!("A: &a {}\nB: *a\n", nested(120));
    assert!(crate::template::yaml::parse_template(&within).is_ok());
    let too_deep = format!(
        "A: &a {}\nB: {}\n",
        nested(100),
        nested(100).replace('x', "*a")
    );
    let error = crate::template::yaml::parse_template(&too_deep)
        .unwrap_err()
        .to_string();
    assert!(error.contains("nested deeper than 128 levels"), "{error}");
}

#[test]
fn float_keys_are_written_as_python_writes_them() {
    for (value, text) in [
        (1.5, "1.5"),
        (1.0, "1.0"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1e16, "1e+16"),
        (1.5e16, "1.5e+16"),
        (1e15, "1000000000000000.0"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (123.456, "123.456"),
        (-2.5e-7, "-2.5e-07"),
        (685_230.15, "685230.15"),
    ] {
        assert_eq!(python_float_repr(value).as_deref(), Some(text), "{value}");
    }
    assert_eq!(python_float_repr(f64::INFINITY), None);
}
