//! S3 bucket names and key prefixes as a property may write them, checked the same way for
//! every feature that takes a bucket (artifacts, ECS Exec's session logs).

/// A bucket name as S3 takes it: 3 to 63 of lower-case letters, digits, `.` and `-`, starting
/// and ending with a letter or digit. `prefix_property` is where the feature takes a key prefix,
/// if it takes one, for an ARN or `s3://` address written in its place.
pub fn check_bucket_name(name: &str, prefix_property: Option<&str>) -> Result<(), String> {
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let fits = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && ends(name.chars().next())
        && ends(name.chars().last());
    if fits {
        Ok(())
    } else if name.starts_with("arn:") || name.starts_with("s3://") {
        Err(match prefix_property {
            Some(property) => format!(
                "is not a bucket name: write the name alone (a key prefix goes in {property})"
            ),
            None => "is not a bucket name: write the name alone".to_owned(),
        })
    } else {
        Err("is not an S3 bucket name (3 to 63 of a-z, 0-9, . and -, starting and ending with a letter or digit)".to_owned())
    }
}

/// A key prefix: not empty, no slash at either end, and none of the characters IAM would read
/// as a wildcard or a policy variable.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.starts_with('/') || prefix.ends_with('/') {
        Err("must not start or end with /: the macro adds the / between the prefix and the keys under it".to_owned())
    } else if prefix.contains(['*', '?', '$']) {
        Err("must not hold *, ? or $, which IAM reads as wildcards or variables".to_owned())
    } else if prefix.contains("//") || prefix.chars().any(char::is_control) {
        Err("is not a key prefix (no // and no control characters)".to_owned())
    } else {
        Ok(())
    }
}
