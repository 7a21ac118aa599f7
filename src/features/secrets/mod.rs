//! What the execution role must be allowed to read for one secret's `ValueFrom`:
//! the exact SSM parameter or Secrets Manager secret ARN, and where its KMS key lives.

mod grant;
mod reading;
mod written;

pub use grant::{GRANT, SecretGrant, SecretStore};
pub use reading::{
    agent_token_grant, grant_for, registry_credentials_grant, ssm_parameter_of_any_form,
};

#[cfg(test)]
mod tests;
