//! What the execution role must be allowed to read for one secret's `ValueFrom`:
//! the exact SSM parameter or Secrets Manager secret ARN, and where its KMS key lives.

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
