//! Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(secret, "id.timestamp.body")).
//!
//! Pure functions: the handler passes the headers, the body, the source's secrets
//! and the clock. Secrets are written `whsec_<base64>`; the header may carry several
//! space-separated signatures, and a source may have several secrets during a key
//! rotation: one match of any is enough. Comparison is constant-time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How far a `webhook-timestamp` may be from our clock, either way.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;

/// A decoded `whsec_…` secret.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// Parses `whsec_<base64>`. The prefix is required so a secret pasted from
    /// elsewhere (a token, a password) is not silently used as one.
    pub fn parse(s: &str) -> Result<Secret, String> {
        let b64 = s
            .trim()
            .strip_prefix("whsec_")
            .ok_or_else(|| "a webhook secret starts with whsec_".to_string())?;
        let bytes = STANDARD
            .decode(b64)
            .map_err(|e| format!("the part after whsec_ is not base64: {e}"))?;
        if bytes.len() < 16 {
            return Err("a webhook secret needs at least 16 bytes (24 base64 characters)".into());
        }
        Ok(Secret(bytes))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    /// `whsec_…` form, for generating new secrets.
    pub fn to_whsec(&self) -> String {
        format!("whsec_{}", STANDARD.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` value for this message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self
            .mac(id, &timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }
}

/// Why a signature was refused. All of them answer 401; the reason goes to the
/// log and the error body so a partner can fix their side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    #[error("webhook-timestamp is {0} seconds away from the server clock (tolerance 300)")]
    Stale(i64),
    #[error("no valid v1 signature in webhook-signature")]
    NoMatch,
}

/// The three headers, as received.
pub struct Headers<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Verifies a delivery against any of `secrets`. `now` is Unix seconds.
pub fn verify(
    headers: &Headers<'_>,
    body: &[u8],
    secrets: &[Secret],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let id = headers
        .id
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::MissingHeader("webhook-id"))?;
    let ts_raw = headers
        .timestamp
        .ok_or(SignatureError::MissingHeader("webhook-timestamp"))?;
    let sigs = headers
        .signature
        .ok_or(SignatureError::MissingHeader("webhook-signature"))?;
    let ts: i64 = ts_raw
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let skew = now - ts;
    if skew.abs() > tolerance_secs {
        return Err(SignatureError::Stale(skew));
    }
    for candidate in sigs.split_whitespace() {
        let Some(b64) = candidate.strip_prefix("v1,") else {
            continue;
        };
        let Ok(tag) = STANDARD.decode(b64) else {
            continue;
        };
        for secret in secrets {
            // verify_slice compares in constant time.
            if secret
                .mac(id, ts_raw.trim(), body)
                .verify_slice(&tag)
                .is_ok()
            {
                return Ok(());
            }
        }
    }
    Err(SignatureError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example from the Standard Webhooks specification.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TS: i64 = 1614265330;
    const SPEC_BODY: &str = r#"{"test": 2432232314}"#;
    const SPEC_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn hdrs<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> Headers<'a> {
        Headers {
            id: Some(id),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    #[test]
    fn signs_the_specification_example() {
        let s = Secret::parse(SPEC_SECRET).unwrap();
        assert_eq!(s.sign(SPEC_ID, SPEC_TS, SPEC_BODY.as_bytes()), SPEC_SIG);
    }

    #[test]
    fn verifies_the_specification_example() {
        let s = Secret::parse(SPEC_SECRET).unwrap();
        let ts = SPEC_TS.to_string();
        let h = hdrs(SPEC_ID, &ts, SPEC_SIG);
        assert_eq!(
            verify(&h, SPEC_BODY.as_bytes(), &[s], SPEC_TS + 10, 300),
            Ok(())
        );
    }

    #[test]
    fn refuses_tampering_staleness_and_missing_headers() {
        let s = Secret::parse(SPEC_SECRET).unwrap();
        let ts = SPEC_TS.to_string();
        let h = hdrs(SPEC_ID, &ts, SPEC_SIG);
        let secrets = [s];
        assert_eq!(
            verify(&h, b"{\"test\": 2432232315}", &secrets, SPEC_TS, 300),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(&h, SPEC_BODY.as_bytes(), &secrets, SPEC_TS + 301, 300),
            Err(SignatureError::Stale(301))
        );
        assert_eq!(
            verify(&h, SPEC_BODY.as_bytes(), &secrets, SPEC_TS - 301, 300),
            Err(SignatureError::Stale(-301))
        );
        let other_id = hdrs("msg_other", &ts, SPEC_SIG);
        assert_eq!(
            verify(&other_id, SPEC_BODY.as_bytes(), &secrets, SPEC_TS, 300),
            Err(SignatureError::NoMatch)
        );
        let missing = Headers {
            id: Some(SPEC_ID),
            timestamp: None,
            signature: Some(SPEC_SIG),
        };
        assert_eq!(
            verify(&missing, SPEC_BODY.as_bytes(), &secrets, SPEC_TS, 300),
            Err(SignatureError::MissingHeader("webhook-timestamp"))
        );
        let bad_ts = hdrs(SPEC_ID, "yesterday", SPEC_SIG);
        assert_eq!(
            verify(&bad_ts, SPEC_BODY.as_bytes(), &secrets, SPEC_TS, 300),
            Err(SignatureError::BadTimestamp)
        );
    }

    #[test]
    fn accepts_any_of_several_signatures_and_secrets() {
        let old = Secret::parse(SPEC_SECRET).unwrap();
        let new = Secret::from_bytes(vec![7u8; 32]);
        let sig_new = new.sign(SPEC_ID, SPEC_TS, SPEC_BODY.as_bytes());
        let header = format!("v1,AAAA v2,zzz {sig_new}");
        let ts = SPEC_TS.to_string();
        let h = hdrs(SPEC_ID, &ts, &header);
        assert_eq!(
            verify(
                &h,
                SPEC_BODY.as_bytes(),
                &[old.clone(), new.clone()],
                SPEC_TS,
                300
            ),
            Ok(())
        );
        // The old secret alone does not validate the new signature.
        assert_eq!(
            verify(&h, SPEC_BODY.as_bytes(), &[old], SPEC_TS, 300),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(Secret::parse(&new.to_whsec()).unwrap().0, new.0);
    }

    #[test]
    fn secret_parsing_is_strict() {
        assert!(Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(Secret::parse("whsec_!!!").is_err());
        assert!(Secret::parse("whsec_AAAA").is_err());
    }
}
