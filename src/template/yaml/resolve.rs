//! What a plain scalar means, the YAML 1.1 way: the implicit resolvers of PyYAML, which AWS's
//! cfn-lint decoder uses (`Yes` and `on` are booleans, `0755` is 493, `1_000` is 1000, `1:20` is
//! 80, `1e3` is a string), and the constructors that turn the text into a number. The reader and
//! the writer share them, so what the writer leaves unquoted the reader reads back as a string.

/// What a YAML 1.1 reader takes a plain scalar for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plain {
    Str,
    Null,
    Bool,
    Int,
    Float,
    /// `2010-09-09`, `2001-12-14 21:59:43.10 -5`: a date to PyYAML; we keep the text.
    Timestamp,
    /// `<<`, the merge key.
    Merge,
    /// `=`, YAML 1.1's "value" key, which nothing can construct as a value.
    Value,
    /// `!`, `&` or `*` alone: PyYAML's `tag:yaml.org,2002:yaml`, which nothing constructs.
    Yaml,
}

/// PyYAML's `Resolver.resolve` for a scalar whose tag is implicit. Its patterns end with `$`,
/// which in Python also matches before a final line break, so `"yes\n"` resolves as `yes` does.
pub(crate) fn resolve_plain(text: &str) -> Plain {
    if text.is_empty() {
        return Plain::Null;
    }
    let body = text.strip_suffix('\n').unwrap_or(text).as_bytes();
    if body.is_empty() {
        return Plain::Str;
    }
    if is_bool(body) {
        Plain::Bool
    } else if is_float(body) {
        Plain::Float
    } else if is_int(body) {
        Plain::Int
    } else if body == b"<<" {
        Plain::Merge
    } else if matches!(body, b"~" | b"null" | b"Null" | b"NULL") {
        Plain::Null
    } else if is_timestamp(body) {
        Plain::Timestamp
    } else if body == b"=" {
        Plain::Value
    } else if matches!(body, b"!" | b"&" | b"*") {
        Plain::Yaml
    } else {
        Plain::Str
    }
}

/// True when a YAML 1.2 reader of the core schema (serde_yaml, yq, most editors) takes this plain
/// scalar for something other than a string. The writer quotes these too.
pub(crate) fn is_core_schema_non_string(text: &str) -> bool {
    if matches!(
        text,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | ".nan"
            | ".NaN"
            | ".NAN"
    ) {
        return true;
    }
    let mut cursor = Cursor::new(text.as_bytes());
    cursor.sign();
    if matches!(cursor.rest(), b".inf" | b".Inf" | b".INF") {
        return true;
    }
    // 0o and 0x take no sign in the core schema; quoting a signed one as well costs nothing.
    if let [b'0', radix @ (b'o' | b'x'), digits @ ..] = cursor.rest() {
        let octal = *radix == b'o';
        return !digits.is_empty()
            && digits.iter().all(|&c| {
                if octal {
                    (b'0'..=b'7').contains(&c)
                } else {
                    c.is_ascii_hexdigit()
                }
            });
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let whole = cursor.many(|c| c.is_ascii_digit());
    let fraction = if cursor.eat(b'.') {
        cursor.many(|c| c.is_ascii_digit())
    } else {
        0
    };
    if whole == 0 && fraction == 0 {
        return false;
    }
    if cursor.eat(b'e') || cursor.eat(b'E') {
        cursor.sign();
        if cursor.many(|c| c.is_ascii_digit()) == 0 {
            return false;
        }
    }
    cursor.at_end()
}

fn is_bool(text: &[u8]) -> bool {
    matches!(
        text,
        b"yes"
            | b"Yes"
            | b"YES"
            | b"no"
            | b"No"
            | b"NO"
            | b"true"
            | b"True"
            | b"TRUE"
            | b"false"
            | b"False"
            | b"FALSE"
            | b"on"
            | b"On"
            | b"ON"
            | b"off"
            | b"Off"
            | b"OFF"
    )
}

/// `[-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
///  | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
fn is_int(text: &[u8]) -> bool {
    let mut cursor = Cursor::new(text);
    cursor.sign();
    let unsigned = cursor.rest();
    let all_of = |digits: &[u8], allowed: fn(u8) -> bool| {
        !digits.is_empty() && digits.iter().all(|&c| allowed(c) || c == b'_')
    };
    match unsigned {
        [b'0', b'b', rest @ ..] => all_of(rest, |c| c == b'0' || c == b'1'),
        [b'0', b'x', rest @ ..] => all_of(rest, |c| c.is_ascii_hexdigit()),
        [b'0'] => true,
        [b'0', rest @ ..] => all_of(rest, |c| (b'0'..=b'7').contains(&c)),
        [b'1'..=b'9', ..] => {
            cursor.many(|c| c.is_ascii_digit() || c == b'_');
            cursor.at_end() || (sexagesimal_groups(&mut cursor) && cursor.at_end())
        }
        _ => false,
    }
}

/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9][0-9_]*([eE][-+][0-9]+)?
///  | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
fn is_float(text: &[u8]) -> bool {
    if matches!(text, b".nan" | b".NaN" | b".NAN") {
        return true;
    }
    let mut cursor = Cursor::new(text);
    let signed = cursor.sign();
    if matches!(cursor.rest(), b".inf" | b".Inf" | b".INF") {
        return true;
    }
    let digit_or_underscore = |c: u8| c.is_ascii_digit() || c == b'_';
    if cursor.peek().is_some_and(|c| c.is_ascii_digit()) {
        cursor.many(digit_or_underscore);
        if cursor.peek() == Some(b':') {
            if !sexagesimal_groups(&mut cursor) || !cursor.eat(b'.') {
                return false;
            }
            cursor.many(digit_or_underscore);
            return cursor.at_end();
        }
        if !cursor.eat(b'.') {
            return false;
        }
        cursor.many(digit_or_underscore);
    } else if !signed && cursor.eat(b'.') && cursor.peek().is_some_and(|c| c.is_ascii_digit()) {
        cursor.many(digit_or_underscore);
    } else {
        return false;
    }
    let exponent = cursor.eat(b'e') || cursor.eat(b'E');
    if exponent
        && (!(cursor.eat(b'-') || cursor.eat(b'+')) || cursor.many(|c| c.is_ascii_digit()) == 0)
    {
        return false;
    }
    cursor.at_end()
}

/// `(:[0-5]?[0-9])+`, greedy as Python's `re` is (a group never takes a third digit).
fn sexagesimal_groups(cursor: &mut Cursor) -> bool {
    let mut groups = 0;
    while cursor.eat(b':') {
        match cursor.peek() {
            Some(b'0'..=b'5') => {
                cursor.advance();
                if cursor.peek().is_some_and(|c| c.is_ascii_digit()) {
                    cursor.advance();
                }
            }
            Some(b'6'..=b'9') => cursor.advance(),
            _ => return false,
        }
        groups += 1;
    }
    groups > 0
}

/// `[0-9]{4}-[0-9]{2}-[0-9]{2}` or `[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
/// (\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?`
fn is_timestamp(text: &[u8]) -> bool {
    let digit = |c: u8| c.is_ascii_digit();
    let mut cursor = Cursor::new(text);
    if cursor.exactly(4, digit) != 4 || !cursor.eat(b'-') {
        return false;
    }
    if text.len() == 10 && text[7] == b'-' && text[5..7].iter().all(|&c| digit(c)) {
        return text[8..].iter().all(|&c| digit(c));
    }
    if !(1..=2).contains(&cursor.exactly(2, digit)) || !cursor.eat(b'-') {
        return false;
    }
    if !(1..=2).contains(&cursor.exactly(2, digit)) {
        return false;
    }
    if !(cursor.eat(b'T') || cursor.eat(b't') || cursor.many(|c| c == b' ' || c == b'\t') > 0) {
        return false;
    }
    if !(1..=2).contains(&cursor.exactly(2, digit)) {
        return false;
    }
    for _ in 0..2 {
        if !cursor.eat(b':') || cursor.exactly(2, digit) != 2 {
            return false;
        }
    }
    if cursor.eat(b'.') {
        cursor.many(digit);
    }
    if cursor.at_end() {
        return true;
    }
    cursor.many(|c| c == b' ' || c == b'\t');
    if cursor.eat(b'Z') {
        return cursor.at_end();
    }
    if !(cursor.eat(b'-') || cursor.eat(b'+')) || !(1..=2).contains(&cursor.exactly(2, digit)) {
        return false;
    }
    if cursor.eat(b':') && cursor.exactly(2, digit) != 2 {
        return false;
    }
    cursor.at_end()
}

#[derive(Clone)]
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a [u8]) -> Self {
        Cursor { text, at: 0 }
    }
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }
    fn advance(&mut self) {
        self.at += 1;
    }
    fn rest(&self) -> &'a [u8] {
        &self.text[self.at..]
    }
    fn at_end(&self) -> bool {
        self.at == self.text.len()
    }
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.advance();
        }
        found
    }
    /// An optional `-` or `+`; true when there was one.
    fn sign(&mut self) -> bool {
        self.eat(b'-') || self.eat(b'+')
    }
    fn many(&mut self, accept: impl Fn(u8) -> bool) -> usize {
        let start = self.at;
        while self.peek().is_some_and(&accept) {
            self.advance();
        }
        self.at - start
    }
    /// Up to `most` bytes that `accept` takes; how many.
    fn exactly(&mut self, most: usize, accept: impl Fn(u8) -> bool) -> usize {
        let start = self.at;
        while self.at - start < most && self.peek().is_some_and(&accept) {
            self.advance();
        }
        self.at - start
    }
}

/// Why a scalar's text could not be made into the number its tag asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// Not a number at all (`!!int abc`, or `0b_`, whose digits are all underscores).
    Invalid,
    /// An integer beyond 128 bits, which no template means.
    TooLarge,
}

/// PyYAML's `construct_yaml_int`: underscores dropped, then `0b` binary, `0x` hex, a leading `0`
/// octal, `a:b:c` base 60, else decimal. Python's `int()` under it also allows blanks around.
pub(crate) fn construct_int(text: &str) -> Result<i128, NumberError> {
    let value: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, value) = split_sign(&value).ok_or(NumberError::Invalid)?;
    let magnitude = if value == "0" {
        0
    } else if let Some(binary) = value.strip_prefix("0b") {
        python_int(binary, 2)?
    } else if let Some(hex) = value.strip_prefix("0x") {
        python_int(hex, 16)?
    } else if value.starts_with('0') {
        python_int(value, 8)?
    } else if value.contains(':') {
        let mut total: i128 = 0;
        let mut base: i128 = 1;
        for part in value.split(':').rev() {
            let digit = python_int(part, 10)?;
            total = digit
                .checked_mul(base)
                .and_then(|product| total.checked_add(product))
                .ok_or(NumberError::TooLarge)?;
            base = base.checked_mul(60).ok_or(NumberError::TooLarge)?;
        }
        total
    } else {
        python_int(value, 10)?
    };
    Ok(if negative { -magnitude } else { magnitude })
}

/// PyYAML's `construct_yaml_float`: underscores dropped, `.inf`, `.nan`, `a:b.c` base 60, else
/// Python's `float()`.
pub(crate) fn construct_float(text: &str) -> Result<f64, NumberError> {
    let value: String = text
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_lowercase();
    let (negative, value) = split_sign(&value).ok_or(NumberError::Invalid)?;
    let sign = if negative { -1.0 } else { 1.0 };
    Ok(if value == ".inf" {
        sign * f64::INFINITY
    } else if value == ".nan" {
        f64::NAN
    } else if value.contains(':') {
        let mut total = 0.0;
        let mut base = 1.0;
        for part in value.split(':').rev() {
            total += python_float(part)? * base;
            base *= 60.0;
        }
        sign * total
    } else {
        sign * python_float(value)?
    })
}

/// PyYAML's `construct_yaml_bool`.
pub(crate) fn construct_bool(text: &str) -> Option<bool> {
    match text.to_lowercase().as_str() {
        "yes" | "true" | "on" => Some(true),
        "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// The sign PyYAML takes off the front (`value[0]`, which fails on an empty value).
fn split_sign(value: &str) -> Option<(bool, &str)> {
    match value.as_bytes().first()? {
        b'-' => Some((true, &value[1..])),
        b'+' => Some((false, &value[1..])),
        _ => Some((false, value)),
    }
}

/// Python's `int(text, base)` on what PyYAML hands it: blanks around, one optional sign.
fn python_int(text: &str, base: u32) -> Result<i128, NumberError> {
    let text = text.trim();
    let (negative, digits) = split_sign(text).ok_or(NumberError::Invalid)?;
    // Python takes the prefix of the base it is given: int("0o17", 8) is 15.
    let prefix = match base {
        2 => "0b",
        8 => "0o",
        16 => "0x",
        _ => "",
    };
    let digits = match digits.get(..prefix.len()) {
        Some(start) if !prefix.is_empty() && start.eq_ignore_ascii_case(prefix) => {
            &digits[prefix.len()..]
        }
        _ => digits,
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return Err(NumberError::Invalid);
    }
    let magnitude = i128::from_str_radix(digits, base).map_err(|_| NumberError::TooLarge)?;
    Ok(if negative { -magnitude } else { magnitude })
}

/// Python's `float(text)`: blanks around, `1.`, `.5`, `1e5`, `inf`, `nan`.
fn python_float(text: &str) -> Result<f64, NumberError> {
    text.trim().parse().map_err(|_| NumberError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_plain_scalars_resolve_as_pyyaml_does() {
        for (text, expected) in [
            ("yes", Plain::Bool),
            ("No", Plain::Bool),
            ("ON", Plain::Bool),
            ("off", Plain::Bool),
            ("True", Plain::Bool),
            ("y", Plain::Str),
            ("n", Plain::Str),
            ("tRue", Plain::Str),
            ("", Plain::Null),
            ("~", Plain::Null),
            ("Null", Plain::Null),
            ("nUll", Plain::Str),
            ("0755", Plain::Int),
            ("0o755", Plain::Str),
            ("08", Plain::Str),
            ("09.5", Plain::Float),
            ("1_000", Plain::Int),
            ("1__0", Plain::Int),
            ("1:20", Plain::Int),
            ("1:60", Plain::Str),
            ("-1:20", Plain::Int),
            ("0:20", Plain::Str),
            ("0x1F", Plain::Int),
            ("0x_1F", Plain::Int),
            ("0X1F", Plain::Str),
            ("0b101", Plain::Int),
            ("0b", Plain::Str),
            ("1e3", Plain::Str),
            ("1.5e3", Plain::Str),
            ("1.5e+3", Plain::Float),
            ("1.e-3", Plain::Float),
            ("1E+3", Plain::Str),
            ("1.", Plain::Float),
            (".5", Plain::Float),
            ("+.5", Plain::Str),
            ("._", Plain::Str),
            ("-.inf", Plain::Float),
            (".Inf", Plain::Float),
            (".iNf", Plain::Str),
            (".NaN", Plain::Float),
            ("-.nan", Plain::Str),
            ("190:20:30.15", Plain::Float),
            ("1:20.", Plain::Float),
            ("<<", Plain::Merge),
            ("=", Plain::Value),
            ("*", Plain::Yaml),
            ("2010-09-09", Plain::Timestamp),
            ("2001-12-14t21:59:43.10-05:00", Plain::Timestamp),
            ("2001-12-14 21:59:43.10 -5", Plain::Timestamp),
            ("2001-1-1 1:00:00", Plain::Timestamp),
            ("2001-1-1", Plain::Str),
            ("2010-09-09x", Plain::Str),
            ("123\n", Plain::Int),
            ("\n", Plain::Str),
            ("10.0.0.0/16", Plain::Str),
            ("3.3", Plain::Float),
        ] {
            assert_eq!(resolve_plain(text), expected, "{text:?}");
        }
    }

    #[test]
    fn numbers_are_constructed_as_pyyaml_does() {
        assert_eq!(construct_int("0755"), Ok(493));
        assert_eq!(construct_int("-0755"), Ok(-493));
        assert_eq!(construct_int("1_000"), Ok(1000));
        assert_eq!(construct_int("1:20"), Ok(80));
        assert_eq!(construct_int("-1:20"), Ok(-80));
        assert_eq!(construct_int("190:20:30"), Ok(685_230));
        assert_eq!(construct_int("0x1F"), Ok(31));
        assert_eq!(construct_int("0b101"), Ok(5));
        assert_eq!(construct_int("00"), Ok(0));
        assert_eq!(construct_int("-0"), Ok(0));
        assert_eq!(construct_int(" 12 "), Ok(12));
        assert_eq!(construct_int("0b_"), Err(NumberError::Invalid));
        assert_eq!(construct_int(""), Err(NumberError::Invalid));
        assert_eq!(construct_int(&"9".repeat(40)), Err(NumberError::TooLarge));
        assert_eq!(construct_float("1.5e+3"), Ok(1500.0));
        assert_eq!(construct_float("1_000.5_0"), Ok(1000.5));
        assert_eq!(construct_float("190:20:30.15"), Ok(685_230.15));
        assert_eq!(construct_float("-.inf"), Ok(f64::NEG_INFINITY));
        assert!(construct_float(".NaN").unwrap().is_nan());
        assert_eq!(construct_float("1."), Ok(1.0));
        assert_eq!(construct_float("1e3"), Ok(1000.0));
        assert_eq!(construct_bool("Yes"), Some(true));
        assert_eq!(construct_bool("OFF"), Some(false));
        assert_eq!(construct_bool("y"), None);
    }

    #[test]
    fn core_schema_non_strings_are_known_to_the_writer() {
        for text in [
            "1e3", "0o755", "-1", "+1.5", ".5", "1.", "true", "NULL", "~", "", ".inf", "-.Inf",
        ] {
            assert!(is_core_schema_non_string(text), "{text:?}");
        }
        for text in [
            "yes", "0b1", "1_000", "1:20", "e3", ".", "-", "1.2.3", "0x", "v1",
        ] {
            assert!(!is_core_schema_non_string(text), "{text:?}");
        }
    }
}
