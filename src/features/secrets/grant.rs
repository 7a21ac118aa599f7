//! What the execution role reads for one secret, and its `ReadAgentSecrets`: read exactly the
//! secrets the containers name, and decrypt them only through the services that hold them.

use std::borrow::Cow;

use serde_json::Value;

use crate::features::grant::{FeatureGrant, GrantedRole};
use crate::features::secrets::written::{STACK_ACCOUNT, STACK_REGION};
use crate::generate::output_types::{Actions, Allow, Statement};
use crate::properties::checked::ExecutionRoleSecret;
use crate::template::sub::{Piece, build_sub};
use crate::template::value::{distinct, distinct_by, same_value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretStore {
    Ssm,
    SecretsManager,
}

/// What the execution role reads for one secret, with the region and account of the
/// service that decrypts it (`*` where the template leaves them open).
#[derive(Debug, Clone, PartialEq)]
pub struct SecretGrant {
    pub store: SecretStore,
    /// The ARN, or an ARN pattern.
    pub resource: Value,
    /// A second pattern where a Secrets Manager name the macro cannot see may be a full name
    /// (`resource`) or a partial one (this). Most grants have none: they need no list, and
    /// boxed it keeps small a grant the readers hand on by value.
    pub partial: Option<Box<Value>>,
    /// The SSM parameter ECS reads this Secrets Manager secret through, when the value is
    /// SSM's reference to it (`/aws/reference/secretsmanager/<name>`): granted
    /// `ssm:GetParameters`, while the secret itself is granted as any other.
    pub through_parameter: Option<Box<Value>>,
    /// Usually the stack's own (`{"Ref": "AWS::Region"}`), borrowed, not copied.
    pub region: Cow<'static, Value>,
    pub account: Cow<'static, Value>,
}

impl SecretGrant {
    /// A grant of `resource` alone, in `store` of the stack's own region and account.
    pub fn in_stack(store: SecretStore, resource: Value) -> Self {
        SecretGrant {
            store,
            resource,
            partial: None,
            through_parameter: None,
            region: Cow::Borrowed(&STACK_REGION),
            account: Cow::Borrowed(&STACK_ACCOUNT),
        }
    }

    /// What it reads from `store`: `resource` and any `partial` from its own store, and from
    /// SSM any parameter it is read through. Mutable, so that the execution role's statements
    /// take them.
    pub fn reads_mut(&mut self, store: SecretStore) -> impl Iterator<Item = &mut Value> {
        let own = self.store == store;
        let (resource, partial) = if own {
            (Some(&mut self.resource), self.partial.as_deref_mut())
        } else {
            (None, None)
        };
        let parameter = self
            .through_parameter
            .as_deref_mut()
            .filter(|_| store == SecretStore::Ssm);
        resource.into_iter().chain(partial).chain(parameter)
    }
}

/// The execution role reads every secret of the containers, the agent token and the registry
/// credentials; it is always written, as the agent token is always read.
pub const GRANT: FeatureGrant = FeatureGrant {
    policy_name: "ReadAgentSecrets",
    role: GrantedRole::Execution {
        covered_by_managed_policy: false,
    },
    statements: |properties, _| {
        let secrets_kms_key = properties.secrets_kms_key.take();
        Some(secret_statements(
            &mut properties.execution_role_secrets(),
            secrets_kms_key,
        ))
    },
};

/// Read exactly the secrets named; decrypt only through the services that hold them, with the
/// keys of their accounts and regions, or with `secrets_key` when the secrets name the one key
/// they are encrypted with. The resources the statements name are taken from the grants, not
/// copied: nothing reads a grant's resources after its role is built.
fn secret_statements(
    secrets: &mut [ExecutionRoleSecret<'_>],
    secrets_key: Option<Value>,
) -> Vec<Statement> {
    let mut statements = Vec::new();
    for (store, sid, action) in [
        (SecretStore::Ssm, "ReadParameters", "ssm:GetParameters"),
        (
            SecretStore::SecretsManager,
            "ReadSecrets",
            "secretsmanager:GetSecretValue",
        ),
    ] {
        let resources: Vec<Value> =
            distinct(secrets.iter_mut().flat_map(|s| s.grant.reads_mut(store)))
                .into_iter()
                .map(std::mem::take)
                .collect();
        if !resources.is_empty() {
            statements.push(Statement::Allow(Allow::new(
                sid,
                Actions::One(action),
                Value::Array(resources),
            )));
        }
    }
    let keys = match secrets_key {
        Some(key) => vec![key],
        None => {
            // Each distinct place built once (many secrets share one), then each result once.
            let places = distinct_by(
                secrets
                    .iter()
                    .map(|s| (&*s.grant.region, &*s.grant.account)),
                |(region, account), (other_region, other_account)| {
                    same_value(region, other_region) && same_value(account, other_account)
                },
            );
            let keys = places.into_iter().map(|(region, account)| {
                build_sub(&[
                    Piece::Text("arn:"),
                    Piece::Pseudo("AWS::Partition"),
                    Piece::Text(":kms:"),
                    Piece::Value(region),
                    Piece::Text(":"),
                    Piece::Value(account),
                    Piece::Text(":key/*"),
                ])
            });
            distinct(keys)
        }
    };
    let stores = distinct_by(
        secrets.iter().map(|s| (s.grant.store, &*s.grant.region)),
        |(store, region), (other_store, other_region)| {
            store == other_store && same_value(region, other_region)
        },
    );
    let services = stores.into_iter().map(|(store, region)| {
        let service = match store {
            SecretStore::Ssm => "ssm.",
            SecretStore::SecretsManager => "secretsmanager.",
        };
        build_sub(&[
            Piece::Text(service),
            Piece::Value(region),
            Piece::Text("."),
            Piece::Pseudo("AWS::URLSuffix"),
        ])
    });
    let services = distinct(services);
    let operator = if services.iter().any(mentions_wildcard) {
        "StringLike"
    } else {
        "StringEquals"
    };
    statements.push(Statement::Allow(
        Allow::new(
            "DecryptThroughThoseServices",
            Actions::One("kms:Decrypt"),
            Value::Array(keys),
        )
        .when(operator, "kms:ViaService", Value::Array(services)),
    ));
    statements
}

/// Whether a `*` is written anywhere in `value` (a key or a string), as its JSON text would
/// show, without writing that text.
fn mentions_wildcard(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('*'),
        Value::Array(items) => items.iter().any(mentions_wildcard),
        Value::Object(map) => map
            .iter()
            .any(|(key, member)| key.contains('*') || mentions_wildcard(member)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}
