//! Secrets (the agent token, `Secrets`, registry credentials, `SecretsKmsKeyArn`): read and
//! checked (`properties.rs`, `kms_key.rs`), each reference turned into exactly what the execution
//! role must read (`reading.rs`, `written.rs`, `registry_credentials.rs`), and the execution
//! role's `ReadAgentSecrets` (`grant.rs`).

mod grant;
mod kms_key;
mod properties;
mod reading;
mod registry_credentials;
mod written;

pub use grant::{GRANT, SecretGrant, SecretStore};
pub use reading::{agent_token_grant, grant_for, ssm_parameter_of_any_form};
pub use registry_credentials::registry_credentials_grant;

#[cfg(test)]
mod tests;
