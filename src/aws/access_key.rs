//! An IAM user's long-term access key pair, as IAM issues it and the keyring
//! keeps it; the secret never prints.

use crate::sys::secret::Secret;

/// Long-term keys of one profile.
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}
