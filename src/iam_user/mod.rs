//! Changes made to the IAM user itself, with an MFA session: a new access key
//! (`rotate`) and a new MFA device (`enroll`). They sit above `session/`
//! because both need a session to call IAM, and above `keys/` and `mfa/`,
//! whose stores they write to.

pub mod enroll;
pub mod rotate;
