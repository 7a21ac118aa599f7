//! What a macro request says about where the template is deployed.

use serde_json::{Map, Value};

/// The request context an expansion needs: where the stack is, and the values of its
/// parameters (used for checks and decisions, never written to the output).
#[derive(Debug, Clone)]
pub struct ExpansionContext {
    pub region: String,
    pub account_id: String,
    pub parameter_values: Map<String, Value>,
    /// Whether the template's `Transform` lists `AWS::LanguageExtensions` after this macro,
    /// which resolves a function in `DeletionPolicy` or `UpdateReplacePolicy`; `None` when
    /// not known: a macro request carries no `Transform` section.
    pub language_extensions_after: Option<bool>,
}

impl ExpansionContext {
    pub fn new(region: impl Into<String>, account_id: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            account_id: account_id.into(),
            parameter_values: Map::new(),
            language_extensions_after: None,
        }
    }

    /// The partition of the stack's region, as `${AWS::Partition}` will resolve.
    pub fn partition(&self) -> &'static str {
        partition_of_region(&self.region)
    }

    /// The domain suffix of the stack's partition, as `${AWS::URLSuffix}` will resolve.
    pub fn url_suffix(&self) -> &'static str {
        match self.partition() {
            "aws-cn" => "amazonaws.com.cn",
            "aws-iso" => "c2s.ic.gov",
            "aws-iso-b" => "sc2s.sgov.gov",
            _ => "amazonaws.com",
        }
    }
}

pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_follows_the_region() {
        assert_eq!(partition_of_region("eu-west-1"), "aws");
        assert_eq!(partition_of_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of_region("us-isob-east-1"), "aws-iso-b");
        assert_eq!(
            ExpansionContext::new("cn-north-1", "1").url_suffix(),
            "amazonaws.com.cn"
        );
    }
}
