//! The subject distinguished name of an X.509 certificate, formatted as Java's
//! `X500Principal.getName()` (RFC 2253), which is what Kafka's default SSL principal is.
//!
//! Kafka: `DefaultKafkaPrincipalBuilder.applySslPrincipalMapper(session.getPeerPrincipal())`
//! with `ssl.principal.mapping.rules=DEFAULT` → `User:` + the RFC 2253 DN, e.g.
//! `User:CN=alice,OU=eng,O=example,C=US` (last RDN of the certificate first).
//!
//! Only the few DER shapes of a certificate's `tbsCertificate.subject` are read here, so no
//! X.509 library is needed.

/// Why a certificate's subject could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("cannot read the certificate subject: {0}")]
pub struct DnError(&'static str);

struct Der<'a> {
    bytes: &'a [u8],
}

/// One TLV: tag, contents, and the whole encoding.
struct Tlv<'a> {
    tag: u8,
    value: &'a [u8],
    whole: &'a [u8],
}

impl<'a> Der<'a> {
    fn next(&mut self) -> Result<Tlv<'a>, DnError> {
        let b = self.bytes;
        if b.len() < 2 {
            return Err(DnError("truncated"));
        }
        let tag = b[0];
        let (len, hdr) = if b[1] < 0x80 {
            (b[1] as usize, 2)
        } else {
            let n = (b[1] & 0x7f) as usize;
            if n == 0 || n > 4 || b.len() < 2 + n {
                return Err(DnError("bad length"));
            }
            let mut len = 0usize;
            for &x in &b[2..2 + n] {
                len = (len << 8) | x as usize;
            }
            (len, 2 + n)
        };
        if b.len() < hdr + len {
            return Err(DnError("truncated"));
        }
        let whole = &b[..hdr + len];
        self.bytes = &b[hdr + len..];
        Ok(Tlv {
            tag,
            value: &whole[hdr..],
            whole,
        })
    }
}

fn oid_to_string(oid: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut v: u64 = 0;
    for (i, &b) in oid.iter().enumerate() {
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = (v / 40).min(2);
                parts.push(first);
                parts.push(v - first * 40);
            } else {
                parts.push(v);
            }
            v = 0;
        }
        let _ = i;
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// Keywords `X500Principal.getName(RFC2253)` uses; other attributes print as `oid=#hex`.
fn keyword(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

/// RFC 2253 §2.4 escaping.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let n = s.chars().count();
    for (i, c) in s.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn string_value(tlv: &Tlv<'_>) -> Option<String> {
    match tlv.tag {
        // UTF8String, PrintableString, IA5String, TeletexString (as Latin-1), VisibleString
        0x0c | 0x13 | 0x16 | 0x1a => std::str::from_utf8(tlv.value).ok().map(str::to_string),
        0x14 => Some(tlv.value.iter().map(|&b| b as char).collect()),
        // BMPString (UTF-16BE)
        0x1e => {
            let units: Vec<u16> = tlv
                .value
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// The subject DN of a DER certificate in RFC 2253 form.
pub fn subject_dn(cert_der: &[u8]) -> Result<String, DnError> {
    let cert = Der { bytes: cert_der }.next()?;
    let mut tbs_outer = Der { bytes: cert.value };
    let tbs = tbs_outer.next()?;
    let mut fields = Der { bytes: tbs.value };
    let mut first = fields.next()?;
    if first.tag == 0xa0 {
        // [0] EXPLICIT version
        first = fields.next()?; // serialNumber
    }
    let _ = first;
    fields.next()?; // signature AlgorithmIdentifier
    fields.next()?; // issuer
    fields.next()?; // validity
    let subject = fields.next()?;
    if subject.tag != 0x30 {
        return Err(DnError("subject is not a SEQUENCE"));
    }
    let mut rdns = Vec::new();
    let mut rdn_seq = Der {
        bytes: subject.value,
    };
    while !rdn_seq.bytes.is_empty() {
        let set = rdn_seq.next()?;
        let mut atvs = Der { bytes: set.value };
        let mut parts = Vec::new();
        while !atvs.bytes.is_empty() {
            let atv = atvs.next()?;
            let mut inner = Der { bytes: atv.value };
            let oid = inner.next()?;
            let value = inner.next()?;
            let oid = oid_to_string(oid.value);
            let text = match (keyword(&oid), string_value(&value)) {
                (Some(k), Some(v)) => format!("{k}={}", escape(&v)),
                _ => {
                    let hex: String = value.whole.iter().map(|b| format!("{b:02x}")).collect();
                    format!("{oid}=#{hex}")
                }
            };
            parts.push(text);
        }
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    Ok(rdns.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `X500Principal.getName()` lists RDNs last-first, joined by commas, with RFC 2253
    /// escaping (Kafka's DEFAULT mapping rule keeps that string unchanged).
    #[test]
    fn subject_of_an_rcgen_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CountryName, "US");
        dn.push(rcgen::DnType::OrganizationName, "Example, Inc");
        dn.push(rcgen::DnType::OrganizationalUnitName, "eng");
        dn.push(rcgen::DnType::CommonName, "alice");
        params.distinguished_name = dn;
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            subject_dn(cert.der()).unwrap(),
            "CN=alice,OU=eng,O=Example\\, Inc,C=US"
        );
        assert!(subject_dn(&[0x30, 0x05, 1]).is_err());
    }
}
