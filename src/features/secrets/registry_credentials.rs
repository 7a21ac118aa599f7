//! Registry credentials (`RepositoryCredentials`): a Secrets Manager secret named whole, which
//! the execution role reads for a private registry's login.

use serde_json::Value;

use crate::features::secrets::grant::{SecretGrant, SecretStore};
use crate::features::secrets::reading::Reading;
use crate::features::secrets::reading::read;
use crate::features::secrets::reading::secret_named;
use crate::features::secrets::reading::secret_of_any_form;
use crate::features::secrets::written::{ReadText, WrittenReference, read_text};
use crate::template::evaluate::Piece;
use crate::template::scope::TemplateScope;

/// The grant for a private registry's credentials (`RepositoryCredentials`), which ECS reads
/// from a Secrets Manager secret, named whole: by its ARN, or by its name for a secret in the
/// task's region (ECS's `RepositoryCredentials.credentialsParameter`).
pub fn registry_credentials_grant(
    secret: &Value,
    scope: &TemplateScope<'_>,
) -> Result<SecretGrant, String> {
    // A `Fn::Join` (as AWS CDK writes) is read as its `Fn::Sub` twin.
    let secret = &*scope.written_form(secret);
    let shape = format!(
        "arn:{}:secretsmanager:<region>:<account>:secret:<name>, or the secret's name",
        scope.context.partition()
    );
    match secret_name_written(secret, scope) {
        Some(Ok(())) => return Ok(secret_named(secret)),
        Some(Err(subject)) => {
            return Err(format!(
                "{subject} is neither a Secrets Manager secret's name (1 to 512 letters, digits and /_+=.@-) nor its ARN ({shape})"
            ));
        }
        None => {}
    }
    let grant = match read(secret, scope) {
        Reading::Grant(grant) => grant,
        Reading::Invalid(why) => return Err(why),
        // Only Secrets Manager holds them, so whichever form the value takes is granted.
        Reading::Opaque(_) => return Ok(secret_of_any_form(secret)),
    };
    if grant.store != SecretStore::SecretsManager || grant.through_parameter.is_some() {
        return Err(format!(
            "is not a Secrets Manager secret: ECS reads private registry credentials from Secrets Manager only ({shape})"
        ));
    }
    if secret
        .as_str()
        .is_some_and(|arn| arn.split(':').count() > 7)
    {
        return Err(format!(
            "names a JSON key of a secret; ECS takes the secret itself ({shape})"
        ));
    }
    Ok(grant)
}

/// Whether `value` is written as a Secrets Manager secret's name rather than an ARN: `None`
/// when it is an ARN or cannot be told, else whether it is a valid name (`Err` with how a
/// message names it). A function whose text begins with what cannot begin an ARN is a name,
/// whatever its variables hold.
pub(super) fn secret_name_written(
    value: &Value,
    scope: &TemplateScope<'_>,
) -> Option<Result<(), String>> {
    let text = match read_text(value, scope) {
        ReadText::Known(written) => return written_name(&written),
        ReadText::WithHoles(text) => text,
        // A function: its text as CloudFormation computes it, holes left to the deploy.
        ReadText::Other => scope.evaluate(value).into_text(value)?,
    };
    let Some(Piece::Literal(first)) = text.pieces.first() else {
        return None;
    };
    let may_begin_an_arn = "arn:".starts_with(first.as_str()) || first.starts_with("arn:");
    (!may_begin_an_arn).then_some(Ok(()))
}

/// Whether text known here is a secret's name, when it is no ARN.
fn written_name(written: &WrittenReference<'_>) -> Option<Result<(), String>> {
    if written.sample.starts_with("arn:") {
        return None;
    }
    let is_name = (1..=512).contains(&written.sample.len())
        && written
            .sample
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"/_+=.@-".contains(&byte));
    Some(if is_name {
        Ok(())
    } else {
        Err(written.subject())
    })
}
