//! `SecretsKmsKeyArn`: the one key every secret is encrypted with, refused where it is of
//! another region than a secret read.

use serde_json::Value;

use crate::features::secrets::grant::SecretGrant;
use crate::properties::checked::{ExecutionRoleSecret, ReadBy};
use crate::properties::reader::PropertyReader;
use crate::template::arn::is_region;
use crate::template::arn::parse_arn;
use crate::template::arn::partition_relative;
use crate::template::evaluate::{Piece, Written};
use crate::template::scope::Resolved;
use crate::template::value::ref_target;

impl<'i> PropertyReader<'_, '_, 'i> {
    /// `SecretsKmsKeyArn` (`key`, as read), its partition written as `${AWS::Partition}`;
    /// refused where it is a key of another region than a secret the execution role reads
    /// (`read`: the agent token, `Secrets`, registry credentials, the git credentials, the
    /// services'), where both regions are known.
    pub(crate) fn secrets_kms_key(
        &mut self,
        key: Option<Value>,
        read: &[ExecutionRoleSecret<'_>],
    ) -> Option<Value> {
        let key = key?;
        if let Some(sourced) = self.sourced("SecretsKmsKeyArn") {
            let read: Vec<(String, &Value, &SecretGrant)> = read
                .iter()
                .map(|secret| (label(&secret.read_by), secret.value_from, &*secret.grant))
                .collect();
            if let Some(why) = self.key_in_another_region(sourced.value, &read) {
                self.problems.push(sourced.place, why);
                return None;
            }
        }
        // A `Fn::Join` (as AWS CDK writes) is granted as its `Fn::Sub` twin.
        let key = self.scope.written_form(&key).into_owned();
        Some(partition_relative(key, self.scope.context))
    }

    /// Why `key` cannot decrypt the secrets `read` (what each is called, its value, its
    /// grant): Secrets Manager and SSM decrypt a secret through KMS in the secret's region,
    /// with a key of that region. `None` where every known region agrees, or none is known.
    fn key_in_another_region(
        &self,
        key: &Value,
        read: &[(String, &Value, &SecretGrant)],
    ) -> Option<String> {
        let key_region = self.key_region(key)?;
        let elsewhere: Vec<(&str, KnownRegion)> = read
            .iter()
            .filter_map(|(name, value, grant)| {
                let region = self.secret_region(value, grant)?;
                (region.name != key_region.name).then_some((name.as_str(), region))
            })
            .collect();
        if elsewhere.is_empty() {
            return None;
        }
        let subject = match self.scope.resolve(key) {
            Resolved::Unknown => "the !Sub".to_owned(),
            resolved => resolved.describe(),
        };
        let shown = |region: &KnownRegion| region.shown.then(|| region.name.clone());
        let mut secrets: Vec<String> = elsewhere
            .iter()
            .map(|(name, region)| match shown(region) {
                Some(region) => format!("{name} in {region}"),
                None => (*name).to_owned(),
            })
            .collect();
        let (are, of) = if secrets.len() == 1 {
            ("is", "a secret")
        } else {
            ("are", "secrets")
        };
        let last = secrets.pop().unwrap_or_default();
        let listed = if secrets.is_empty() {
            last
        } else {
            format!("{} and {last}", secrets.join(", "))
        };
        let key_in = shown(&key_region).map_or_else(String::new, |region| format!(" in {region}"));
        Some(format!(
            "{subject} names a key{key_in}, but {listed} {are} {of} of another region: Secrets Manager and SSM decrypt a secret with a key of the secret's own region only, so the task could not start; name the key of their region, or leave SecretsKmsKeyArn out (kms:Decrypt is then on key/* of each secret's region, through its service)"
        ))
    }

    /// The region of a KMS key ARN known at expansion: written, a parameter's value, or a
    /// `!Sub` whose region field is written or `${AWS::Region}`.
    fn key_region(&self, key: &Value) -> Option<KnownRegion> {
        let stack = || KnownRegion {
            name: self.scope.context.region.clone(),
            shown: true,
        };
        match self.scope.resolve(key) {
            Resolved::Literal(Value::String(text)) => parse_arn(text).map(|arn| KnownRegion {
                name: arn.region.to_owned(),
                shown: true,
            }),
            Resolved::Parameter {
                value: Value::String(text),
                ..
            } => parse_arn(&text).map(|arn| KnownRegion {
                name: arn.region.to_owned(),
                shown: false,
            }),
            // A function: read as CloudFormation computes it, the region being field 3.
            _ => {
                let text = self.scope.evaluate(key).into_text(key)?;
                let fields = text.split(':', 6);
                match fields.get(3)?.pieces.as_slice() {
                    [Piece::Literal(region)] if is_region(region) => Some(KnownRegion {
                        name: region.clone(),
                        shown: true,
                    }),
                    [
                        Piece::Known {
                            written: Written::Variable(name),
                            ..
                        },
                    ] if name == "AWS::Region" => Some(stack()),
                    [Piece::Known { value, .. }] if is_region(value) => Some(KnownRegion {
                        name: value.clone(),
                        shown: false,
                    }),
                    _ => None,
                }
            }
        }
    }

    /// The region a secret is read in, where known: its written ARN's, a parameter value's
    /// (not shown), a name's (the stack's), else the region its grant decrypts through.
    fn secret_region(&self, value: &Value, grant: &SecretGrant) -> Option<KnownRegion> {
        let context = self.scope.context;
        let in_text = |text: &str, shown: bool| match parse_arn(text) {
            Some(arn) => KnownRegion {
                name: arn.region.to_owned(),
                shown,
            },
            None => KnownRegion {
                name: context.region.clone(),
                shown: true,
            },
        };
        match self.scope.resolve(value) {
            Resolved::Literal(Value::String(text)) => return Some(in_text(text, true)),
            Resolved::Parameter {
                value: Value::String(text),
                ..
            } => return Some(in_text(&text, false)),
            _ => {}
        }
        match &*grant.region {
            Value::String(region) if is_region(region) => Some(KnownRegion {
                name: region.clone(),
                shown: true,
            }),
            region if ref_target(region) == Some("AWS::Region") => Some(KnownRegion {
                name: context.region.clone(),
                shown: true,
            }),
            _ => None,
        }
    }
}

/// A region known at expansion, and whether a message may name it (not a parameter's value).
struct KnownRegion {
    name: String,
    shown: bool,
}

/// How a message names a secret: its variable where written out (a service's with the
/// service's name), the property it is read by, else where it is read.
fn label(read_by: &ReadBy<'_>) -> String {
    match read_by {
        ReadBy::Agent(variable) => match variable.as_str() {
            Some(crate::properties::declarations::AGENT_TOKEN_VARIABLE) => {
                "the agent token (BuildkiteAgentTokenParameterPath)".to_owned()
            }
            Some(name) => name.to_owned(),
            None => "a secret of Secrets".to_owned(),
        },
        ReadBy::Property(property) => (*property).to_owned(),
        ReadBy::Service(service, variable) => match variable.as_str() {
            Some(name) => format!("{name} of service {service}"),
            None => format!("a secret of service {service}"),
        },
        ReadBy::RegistryCredentials(None) => "RepositoryCredentials".to_owned(),
        ReadBy::RegistryCredentials(Some(service)) => {
            format!("the RepositoryCredentials of service {service}")
        }
    }
}
