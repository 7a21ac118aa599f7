//! A mapping key as Python (and so cfn-lint) compares it: `1`, `1.0` and `true` are the same key,
//! and how a float key is written back as Python writes it.

/// A mapping key as Python holds it: `1`, `1.0` and `true` are the same key.
#[derive(Debug, Clone)]
pub(super) enum Key {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    Null,
}

impl Key {
    pub(super) fn same_as(&self, other: &Key) -> bool {
        match (self.numeric(), other.numeric()) {
            (Some(Numeric::Int(a)), Some(Numeric::Int(b))) => a == b,
            (Some(Numeric::Int(a)), Some(Numeric::Float(b)))
            | (Some(Numeric::Float(b)), Some(Numeric::Int(a))) => float_equals_int(b, a),
            (Some(Numeric::Float(a)), Some(Numeric::Float(b))) => a == b,
            _ => match (self, other) {
                (Key::Str(a), Key::Str(b)) => a == b,
                (Key::Null, Key::Null) => true,
                _ => false,
            },
        }
    }

    pub(super) fn numeric(&self) -> Option<Numeric> {
        match *self {
            Key::Int(value) => Some(Numeric::Int(value)),
            Key::Bool(flag) => Some(Numeric::Int(i128::from(flag))),
            Key::Float(value) => Some(Numeric::Float(value)),
            Key::Str(_) | Key::Null => None,
        }
    }

    /// The key as Python's `json.dumps` writes it.
    pub(super) fn json_text(&self) -> Option<String> {
        Some(match self {
            Key::Str(text) => text.clone(),
            Key::Int(value) => value.to_string(),
            Key::Float(value) => python_float_repr(*value)?,
            Key::Bool(flag) => flag.to_string(),
            Key::Null => "null".to_owned(),
        })
    }
}

pub(super) enum Numeric {
    Int(i128),
    Float(f64),
}

/// Python's `int == float`: exact, never by rounding the integer.
pub(super) fn float_equals_int(float: f64, int: i128) -> bool {
    float.fract() == 0.0 && float.abs() < 1.7e38 && float as i128 == int
}

/// Python's `repr(float)`, which `json.dumps` gives a float key: the shortest digits that read
/// back, in positional form from 1e-4 to below 1e16, else `1e+16`, `1.5e-05`.
pub(super) fn python_float_repr(value: f64) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let point = exponent + 1;
    let count = i32::try_from(digits.len()).ok()?;
    Some(if !(-3..=16).contains(&point) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{first}{fraction}e{exponent_sign}{:02}",
            exponent.unsigned_abs()
        )
    } else if point <= 0 {
        format!(
            "{sign}0.{}{digits}",
            "0".repeat(point.unsigned_abs() as usize)
        )
    } else if point >= count {
        format!("{sign}{digits}{}.0", "0".repeat((point - count) as usize))
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        format!("{sign}{whole}.{fraction}")
    })
}
