//! The district's certificate keys: one Ed25519 key signs, retired public keys still verify.
//!
//! A certificate is a JWS (RFC 7515) in compact serialisation, signed with EdDSA (RFC 8037):
//! `base64url(header) . base64url(content) . base64url(signature)`. The header names the key
//! by its JWK thumbprint (RFC 7638), and the public keys are published as a JWK set, so anyone
//! with a JOSE library can check a certificate without asking Linli.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The media type a certificate's header declares, so it is never taken for a login token.
const TYP: &str = "linli-certificate+jws";

/// The signing key and the public keys that still verify.
pub struct Keys {
    signing: SigningKey,
    current: String,
    retired: Vec<(String, VerifyingKey)>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("Keys")
            .field("current", &self.current)
            .field("retired", &self.retired.len())
            .finish()
    }
}

/// Why a document does not verify; the verifier only needs to know that it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Broken;

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: String,
    typ: String,
}

impl Keys {
    /// A fresh key (the command line writes it; development makes one on first start).
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Self::with(SigningKey::from_bytes(&seed), Vec::new())
    }

    /// The signing key from its PKCS#8 PEM, and retired public keys from their SPKI PEMs.
    pub fn from_pem(private: &str, retired: &[String]) -> Result<Self, String> {
        let signing = SigningKey::from_pkcs8_pem(private)
            .map_err(|e| format!("not an Ed25519 private key in PKCS#8 PEM: {e}"))?;
        let retired = retired
            .iter()
            .map(|pem| {
                VerifyingKey::from_public_key_pem(pem)
                    .map_err(|e| format!("not an Ed25519 public key in SPKI PEM: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::with(signing, retired))
    }

    fn with(signing: SigningKey, retired: Vec<VerifyingKey>) -> Self {
        let current = thumbprint(&signing.verifying_key());
        let retired = retired
            .into_iter()
            .map(|key| (thumbprint(&key), key))
            .filter(|(kid, _)| kid != &current)
            .collect();
        Self {
            signing,
            current,
            retired,
        }
    }

    /// The signing key as PKCS#8 PEM, to keep in a file only the server reads.
    pub fn private_pem(&self) -> Result<String, String> {
        self.signing
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| e.to_string())
    }

    /// The signing key's public half as SPKI PEM, to list among retired keys after a rotation.
    pub fn public_pem(&self) -> Result<String, String> {
        self.signing
            .verifying_key()
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| e.to_string())
    }

    /// The signing key's id: its JWK thumbprint.
    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// The public keys as a JWK set (RFC 7517): the signing key first, then retired ones.
    pub fn jwks(&self) -> serde_json::Value {
        let jwk = |kid: &str, key: &VerifyingKey, status: &str| {
            serde_json::json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(key.to_bytes()),
                "kid": kid,
                "use": "sig",
                "alg": "EdDSA",
                "status": status,
            })
        };
        let keys = std::iter::once(jwk(&self.current, &self.signing.verifying_key(), "current"))
            .chain(
                self.retired
                    .iter()
                    .map(|(kid, key)| jwk(kid, key, "retired")),
            )
            .collect::<Vec<_>>();
        serde_json::json!({ "keys": keys })
    }

    /// `content` signed with the current key, as a compact JWS.
    pub fn sign(&self, content: &[u8]) -> String {
        let header = serde_json::json!({ "alg": "EdDSA", "kid": self.current, "typ": TYP });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(content)
        );
        let signature = self.signing.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    /// The content of a compact JWS that one of these keys signed, with the signing key's id.
    pub fn open(&self, document: &str) -> Result<(Vec<u8>, String), Broken> {
        let mut parts = document.trim().split('.');
        let (Some(header), Some(content), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Broken);
        };
        let parsed: Header =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).map_err(|_| Broken)?)
                .map_err(|_| Broken)?;
        if parsed.alg != "EdDSA" || parsed.typ != TYP {
            return Err(Broken);
        }
        let key = self.key(&parsed.kid).ok_or(Broken)?;
        let signature: [u8; 64] = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Broken)?
            .try_into()
            .map_err(|_| Broken)?;
        let input = &document.trim()[..header.len() + 1 + content.len()];
        key.verify_strict(input.as_bytes(), &Signature::from_bytes(&signature))
            .map_err(|_| Broken)?;
        let content = URL_SAFE_NO_PAD.decode(content).map_err(|_| Broken)?;
        Ok((content, parsed.kid))
    }

    fn key(&self, kid: &str) -> Option<VerifyingKey> {
        if kid == self.current {
            return Some(self.signing.verifying_key());
        }
        self.retired
            .iter()
            .find(|(id, _)| id == kid)
            .map(|(_, key)| *key)
    }
}

/// The content of a compact JWS as it stands, unverified: what a stored certificate states
/// (verifying it is [`Keys::open`]'s work).
pub(crate) fn content_of(document: &str) -> Option<Vec<u8>> {
    let content = document.trim().split('.').nth(1)?;
    URL_SAFE_NO_PAD.decode(content).ok()
}

/// RFC 7638: base64url of SHA-256 over the key's required members, in lexical order.
fn thumbprint(key: &VerifyingKey) -> String {
    let members = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(key.to_bytes())
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(members.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_opens_with_its_key_and_with_no_other() {
        let keys = Keys::generate();
        let document = keys.sign(br#"{"hours":"12.5"}"#);
        let (content, kid) = keys.open(&document).unwrap();
        assert_eq!(content, br#"{"hours":"12.5"}"#);
        assert_eq!(kid, keys.current_id());
        assert_eq!(Keys::generate().open(&document), Err(Broken));
    }

    #[test]
    fn any_changed_byte_breaks_the_signature() {
        let keys = Keys::generate();
        let document = keys.sign(r#"{"hours":"12.5","holder":"张*明"}"#.as_bytes());
        for at in 0..document.len() {
            let mut bytes = document.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            if changed != document {
                assert_eq!(keys.open(&changed), Err(Broken), "byte {at}");
            }
        }
    }

    #[test]
    fn a_rotated_key_still_verifies_what_it_signed() {
        let old = Keys::generate();
        let signed = old.sign(b"{}");
        let new = Keys::generate();
        let rotated =
            Keys::from_pem(&new.private_pem().unwrap(), &[old.public_pem().unwrap()]).unwrap();
        assert_eq!(rotated.current_id(), new.current_id());
        assert!(rotated.open(&signed).is_ok());
        assert!(rotated.open(&rotated.sign(b"{}")).is_ok());
        let jwks = rotated.jwks();
        assert_eq!(jwks["keys"][0]["kid"], new.current_id());
        assert_eq!(jwks["keys"][1]["kid"], old.current_id());
        assert_eq!(jwks["keys"][1]["status"], "retired");
    }

    #[test]
    fn the_thumbprint_is_rfc_7638s() {
        // RFC 8037, appendix A.3: the thumbprint of the example key.
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        let key = VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
        assert_eq!(
            thumbprint(&key),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }
}
