//! Secrets and what the execution role needs to read them: the agent token, `Secrets`,
//! registry credentials.

use serde_json::{Value, json};

use crate::features::secrets::{
    SecretGrant, agent_token_grant, grant_for, registry_credentials_grant,
};
use crate::properties::checked::{ContainerSecret, RegistryCredentials};
use crate::properties::declarations::{AGENT_TOKEN_VARIABLE, SECRET_ENTRY};
use crate::properties::reader::{PropertyInput, PropertyReader, Sourced, UsedNames};
use crate::template::place::Place;

impl<'i> PropertyReader<'_, '_, 'i> {
    pub(crate) fn agent_token(&mut self) -> Option<ContainerSecret> {
        const NAME: &str = "BuildkiteAgentTokenParameterPath";
        let (value_from, place) = match self.sourced(NAME) {
            Some(sourced) => (self.required_string(&sourced)?, sourced.place),
            None => (self.text_or_default(NAME), self.place(NAME)),
        };
        let grant = match agent_token_grant(&value_from, self.scope) {
            Ok(grant) => grant,
            Err(why) => {
                self.problems.push(place, why);
                return None;
            }
        };
        Some(ContainerSecret {
            name: json!(AGENT_TOKEN_VARIABLE),
            value_from,
            grant,
        })
    }

    pub(crate) fn grant(&mut self, value_from: &Value, place: Place<'_>) -> Option<SecretGrant> {
        match grant_for(value_from, self.scope) {
            Ok(grant) => Some(grant),
            Err(why) => {
                self.problems.push(place, why);
                None
            }
        }
    }

    pub(crate) fn registry_credentials(
        &mut self,
        sourced: &Sourced<'_>,
    ) -> Option<RegistryCredentials> {
        let secret = self.optional_string(sourced, |_| Ok(()))?;
        match registry_credentials_grant(&secret, self.scope) {
            Ok(grant) => Some(RegistryCredentials { secret, grant }),
            Err(why) => {
                self.problems.push(sourced.place, why);
                None
            }
        }
    }

    pub(crate) fn secrets<'e>(
        &mut self,
        input: Option<&PropertyInput<'e>>,
        names: &mut UsedNames<'e>,
    ) -> Vec<ContainerSecret> {
        self.list(input, |reader, entry| {
            let fields = reader.entry_fields(entry, SECRET_ENTRY)?;
            let name = Self::entry_field(fields, entry, "Name")
                .and_then(|name| reader.variable_name(name.value, name.place, names));
            let value_from = Self::entry_field(fields, entry, "ValueFrom")?;
            // An empty or non-string ValueFrom names nothing to grant: the grant is not read.
            let place = value_from.place;
            let value_from = reader.required_string(&value_from)?;
            let grant = reader.grant(&value_from, place)?;
            Some(ContainerSecret {
                name: name?,
                value_from,
                grant,
            })
        })
    }
}
