//! Vigil's own probes and fingerprint rules for services that wait for the client to speak in
//! a binary protocol: MongoDB, RDP, SMB, LDAP and AMQP. This module owns the byte level only:
//! request builders (pure functions of their arguments) and response matchers (bounded,
//! panic-free on any input, `None` for anything that is not the protocol). The conversations
//! (which request on which connection, how long to wait) live in [`crate::service`].
//!
//! MongoDB's wire helpers ([`op_query`], [`op_msg`], [`mongo_command`], [`parse_reply`]) are
//! meant for reuse by later MongoDB checks (authentication, unauthenticated listing).

use crate::bson::Document;
use crate::service::ServiceInfo;

// ---------------------------------------------------------------------------------------------
// Shared readers

fn u16_le(raw: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        raw.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u16_be(raw: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        raw.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_le(raw: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        raw.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u32_be(raw: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        raw.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn i32_le(raw: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(
        raw.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// A product or version string fit for a report: printable, trimmed, bounded.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>()
        .trim()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// MongoDB wire protocol
// (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/ and the legacy opcodes
// page): every message starts with a 16-byte header of little-endian int32s: messageLength
// (including the header), requestID, responseTo, opCode.

/// OP_REPLY, the answer to OP_QUERY (legacy opcodes).
pub const OP_REPLY: i32 = 1;
/// OP_QUERY (legacy; since MongoDB 5.1 accepted only for the `hello`/`isMaster` handshake).
pub const OP_QUERY: i32 = 2004;
/// OP_MSG (MongoDB 3.6+, wire version 6+).
pub const OP_MSG: i32 = 2013;
/// Largest message Vigil accepts from a server (MongoDB's own maxMessageSizeBytes is 48 MB;
/// the replies Vigil reads are a few kilobytes).
pub const MONGO_MAX_MESSAGE: usize = 1 << 20;
/// The first wire version that has OP_MSG (MongoDB 3.6).
pub const WIRE_VERSION_OP_MSG: i64 = 6;

/// The header of a MongoDB wire message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgHeader {
    /// Total message length, header included.
    pub length: usize,
    /// Identifier the sender chose.
    pub request_id: i32,
    /// The request this message answers (0 for requests).
    pub response_to: i32,
    /// Operation code ([`OP_REPLY`], [`OP_MSG`], ...).
    pub op_code: i32,
}

/// The header at the start of `raw`, when its length is plausible (16 bytes up to
/// [`MONGO_MAX_MESSAGE`]); the message itself may not have fully arrived yet.
pub fn mongo_header(raw: &[u8]) -> Option<MsgHeader> {
    let length = usize::try_from(i32_le(raw, 0)?).ok()?;
    if !(16..=MONGO_MAX_MESSAGE).contains(&length) {
        return None;
    }
    Some(MsgHeader {
        length,
        request_id: i32_le(raw, 4)?,
        response_to: i32_le(raw, 8)?,
        op_code: i32_le(raw, 12)?,
    })
}

/// Whether `raw` holds a whole message, or can never become one (so a reader can stop).
pub fn mongo_complete(raw: &[u8]) -> bool {
    if raw.len() < 16 {
        return false;
    }
    match mongo_header(raw) {
        Some(h) => raw.len() >= h.length,
        None => true,
    }
}

fn mongo_message(request_id: i32, op_code: i32, body: &[u8]) -> Vec<u8> {
    let len = (16 + body.len()) as i32;
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&request_id.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&op_code.to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// An OP_QUERY command: `doc` run on `collection` (`"admin.$cmd"` for admin commands), asking
/// for one reply document. Works on every server version for `hello`/`isMaster`; for other
/// commands only before MongoDB 5.1 (wire version < 14), see [`mongo_command`].
pub fn op_query(request_id: i32, collection: &str, doc: &Document) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0i32.to_le_bytes()); // flags
    body.extend(collection.bytes().take_while(|b| *b != 0));
    body.push(0);
    body.extend_from_slice(&0i32.to_le_bytes()); // numberToSkip
    body.extend_from_slice(&(-1i32).to_le_bytes()); // numberToReturn: one document, close cursor
    body.extend_from_slice(&doc.to_bytes());
    mongo_message(request_id, OP_QUERY, &body)
}

/// An OP_MSG command (MongoDB 3.6+): flag bits 0 and one body section (kind 0) holding `doc`,
/// which must name its database in a `$db` field (e.g. `$db: "admin"`).
pub fn op_msg(request_id: i32, doc: &Document) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0u32.to_le_bytes()); // flagBits
    body.push(0); // section kind 0: body
    body.extend_from_slice(&doc.to_bytes());
    mongo_message(request_id, OP_MSG, &body)
}

/// `command` for database `db` in the form the server understands: OP_MSG (with `$db` added)
/// when its `maxWireVersion` (from the handshake reply) is 6 or more, else OP_QUERY on
/// `db.$cmd`. `command`'s first field must be the command name.
pub fn mongo_command(request_id: i32, db: &str, command: &Document, max_wire: i64) -> Vec<u8> {
    if max_wire >= WIRE_VERSION_OP_MSG {
        op_msg(request_id, &command.clone().with("$db", db))
    } else {
        op_query(request_id, &format!("{db}.$cmd"), command)
    }
}

/// The reply document of an OP_REPLY (first returned document) or OP_MSG (body section), read
/// within the length the header declares, which must fit in `raw`.
pub fn parse_reply(raw: &[u8]) -> Option<Document> {
    let h = mongo_header(raw)?;
    let msg = raw.get(..h.length)?;
    match h.op_code {
        OP_REPLY => {
            // responseFlags int32, cursorID int64, startingFrom int32, numberReturned int32.
            let returned = i32_le(msg, 32)?;
            if returned < 1 {
                return None;
            }
            Document::from_bytes(msg.get(36..)?)
        }
        OP_MSG => {
            let flags = u32_le(msg, 16)?;
            // checksumPresent (bit 0): a CRC-32C closes the message, outside the sections.
            let end = if flags & 1 != 0 {
                msg.len().checked_sub(4)?
            } else {
                msg.len()
            };
            let sections = msg.get(..end)?;
            let mut at = 20;
            while at < sections.len() {
                match sections[at] {
                    0 => return Document::from_bytes(sections.get(at + 1..)?),
                    1 => {
                        // Document sequence: int32 size (itself included), identifier, docs.
                        let size = usize::try_from(i32_le(sections, at + 1)?).ok()?;
                        if size < 4 {
                            return None;
                        }
                        at = at.checked_add(1 + size)?;
                    }
                    _ => return None,
                }
            }
            None
        }
        _ => None,
    }
}

/// Request id of the handshake; [`mongodb_build_info`] uses the next one.
const MONGO_HELLO_ID: i32 = 1;

/// The handshake: `isMaster` by OP_QUERY on `admin.$cmd`. OP_QUERY because it is the one
/// form every server answers (2.x through 8.x keep OP_QUERY for the handshake, while servers
/// before 3.6 know no OP_MSG); `isMaster` rather than `hello` because `hello` only exists
/// since 4.4 (5.0 and later answer both).
pub fn mongodb_hello() -> Vec<u8> {
    op_query(
        MONGO_HELLO_ID,
        "admin.$cmd",
        &Document::new().with("isMaster", 1),
    )
}

/// Recognise the answer to [`mongodb_hello`]: a MongoDB service (product `MongoDB`, version
/// still unknown) and the server's `maxWireVersion` (0 when it did not say).
pub fn match_mongodb_hello(raw: &[u8]) -> Option<(ServiceInfo, i64)> {
    let h = mongo_header(raw)?;
    if h.response_to != MONGO_HELLO_ID {
        return None;
    }
    let doc = parse_reply(raw)?;
    let looks_right = ["ismaster", "isWritablePrimary", "maxWireVersion", "ok"]
        .iter()
        .any(|k| doc.get(k).is_some());
    if !looks_right {
        return None;
    }
    let wire = doc.get_i64("maxWireVersion").unwrap_or(0);
    Some((
        ServiceInfo::new("mongodb").with(Some("MongoDB"), None),
        wire,
    ))
}

/// `buildInfo` on `admin`, in the form a server of `max_wire` understands: it tells the
/// version and is allowed without authentication.
pub fn mongodb_build_info(max_wire: i64) -> Vec<u8> {
    mongo_command(
        MONGO_HELLO_ID + 1,
        "admin",
        &Document::new().with("buildInfo", 1),
        max_wire,
    )
}

/// The version from the answer to [`mongodb_build_info`] (`version: "7.0.2"`).
pub fn mongodb_version(raw: &[u8]) -> Option<String> {
    let h = mongo_header(raw)?;
    if h.response_to != MONGO_HELLO_ID + 1 {
        return None;
    }
    let doc = parse_reply(raw)?;
    let v = clean(doc.get_str("version")?);
    (v.chars().next()?.is_ascii_digit()).then_some(v)
}

/// Whether an HTTP answer is MongoDB's notice to browsers on its driver port (mongod answers
/// a plain GET with `200 OK` and "It looks like you are trying to access MongoDB over HTTP on
/// the native driver port.").
pub fn is_mongodb_http_notice(raw: &[u8]) -> bool {
    const NOTICE: &[u8] = b"trying to access MongoDB over HTTP";
    raw.starts_with(b"HTTP/") && raw.windows(NOTICE.len()).any(|w| w == NOTICE)
}

// ---------------------------------------------------------------------------------------------
// RDP: TPKT (RFC 1006 section 6) carrying an X.224 Connection Request (ITU-T X.224 section 13.3)
// with an RDP Negotiation Request ([MS-RDPBCGR] 2.2.1.1).

/// RDP_NEG_REQ requestedProtocols: PROTOCOL_SSL (TLS) | PROTOCOL_HYBRID (CredSSP), as a
/// current client asks ([MS-RDPBCGR] 2.2.1.1.1).
const RDP_REQUESTED: u32 = 0x0000_0003;

/// An X.224 Connection Request asking for TLS or CredSSP, without a routing cookie.
pub fn rdp_connection_request() -> Vec<u8> {
    let mut x224 = vec![
        0xe0, // CR TPDU code 1110, credit 0
        0, 0, // DST-REF
        0, 0, // SRC-REF
        0, // class 0
    ];
    // RDP_NEG_REQ: type 1, flags 0, length 8 (little-endian), requestedProtocols.
    x224.extend_from_slice(&[0x01, 0x00, 0x08, 0x00]);
    x224.extend_from_slice(&RDP_REQUESTED.to_le_bytes());
    let mut out = vec![3, 0];
    out.extend_from_slice(&((4 + 1 + x224.len()) as u16).to_be_bytes());
    out.push(x224.len() as u8); // length indicator: the header after this byte
    out.extend_from_slice(&x224);
    out
}

/// Whether a TPKT packet is complete (or `raw` cannot become one).
pub fn rdp_complete(raw: &[u8]) -> bool {
    match raw.first() {
        None => false,
        Some(3) => u16_be(raw, 2).is_some_and(|len| raw.len() >= len as usize),
        Some(_) => true,
    }
}

/// RDP_NEG_RSP flags ([MS-RDPBCGR] 2.2.1.2.1) that current Windows sets and that neither
/// xrdp nor FreeRDP-based servers (gnome-remote-desktop, ...) ever set, per their sources:
/// NEGRSP_FLAG_RESERVED (0x04) and REDIRECTED_AUTHENTICATION_MODE_SUPPORTED (0x10). Older
/// Windows (7, Server 2008 R2) sets neither and stays without a product.
const RDP_WINDOWS_ONLY_FLAGS: u8 = 0x04 | 0x10;

/// Recognise an X.224 Connection Confirm: `rdp`, with product `Microsoft Terminal Services`
/// when the negotiation response carries flags only Windows sets.
///
/// xrdp is not named: its confirm (flags 0x01 = EXTENDED_CLIENT_DATA_SUPPORTED, SRC-REF
/// 0x1234, TLS selected) has the same shape as that of Windows 7 and Server 2008 R2.
pub fn match_rdp(raw: &[u8]) -> Option<ServiceInfo> {
    // TPKT: version 3, reserved 0, length (big-endian) = 4 + the X.224 TPDU.
    if raw.first() != Some(&3) || raw.get(1) != Some(&0) {
        return None;
    }
    let tpkt_len = u16_be(raw, 2)? as usize;
    let li = *raw.get(4)? as usize;
    // Connection Confirm: code 1101 in the high nibble; fixed part is 6 bytes.
    if raw.get(5)? & 0xf0 != 0xd0 || li < 6 || tpkt_len != 5 + li {
        return None;
    }
    let mut info = ServiceInfo::new("rdp");
    if li >= 14 {
        // RDP_NEG_RSP (type 2) or RDP_NEG_FAILURE (type 3), [MS-RDPBCGR] 2.2.1.2.1/2.
        let (ty, flags, len) = (*raw.get(11)?, *raw.get(12)?, u16_le(raw, 13)?);
        if !(ty == 2 || ty == 3) || len != 8 {
            return None;
        }
        if ty == 2 && flags & RDP_WINDOWS_ONLY_FLAGS != 0 {
            info = info.with(Some("Microsoft Terminal Services"), None);
        }
    }
    Some(info)
}

// ---------------------------------------------------------------------------------------------
// SMB: SMB2 over direct TCP (port 445, [MS-SMB2] 2.1: a zero byte and a 24-bit big-endian
// length) or the NetBIOS session service (port 139, RFC 1002 section 4.3: the same header for
// session messages, after a session request).

fn nbss(msg: &[u8]) -> Vec<u8> {
    let len = msg.len() as u32;
    let mut out = vec![0x00];
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(msg);
    out
}

/// A NetBIOS name in first-level encoding (RFC 1001 section 14.1): padded with spaces to 15
/// characters plus the service suffix, each nibble as 'A' + nibble, length-prefixed.
fn netbios_name(name: &str, suffix: u8) -> Vec<u8> {
    let mut raw: Vec<u8> = name.bytes().take(15).collect();
    raw.resize(15, b' ');
    raw.push(suffix);
    let mut out = vec![32];
    for b in raw {
        out.push(b'A' + (b >> 4));
        out.push(b'A' + (b & 0x0f));
    }
    out.push(0);
    out
}

/// A NetBIOS session request (RFC 1002 section 4.3.2) to `*SMBSERVER` from `VIGIL`, which
/// port 139 wants before any SMB message.
pub fn netbios_session_request() -> Vec<u8> {
    let mut body = netbios_name("*SMBSERVER", 0x20);
    body.extend_from_slice(&netbios_name("VIGIL", 0x00));
    let mut out = vec![0x81, 0x00];
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// The 64-byte SMB2 sync header ([MS-SMB2] 2.2.1.2) of a request.
fn smb2_header(command: u16, credit_charge: u16, message_id: u64) -> Vec<u8> {
    let mut h = Vec::with_capacity(64);
    h.extend_from_slice(b"\xfeSMB");
    h.extend_from_slice(&64u16.to_le_bytes()); // StructureSize
    h.extend_from_slice(&credit_charge.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes()); // Status / ChannelSequence
    h.extend_from_slice(&command.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // CreditRequest
    h.extend_from_slice(&0u32.to_le_bytes()); // Flags
    h.extend_from_slice(&0u32.to_le_bytes()); // NextCommand
    h.extend_from_slice(&message_id.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes()); // Reserved (ProcessId)
    h.extend_from_slice(&0u32.to_le_bytes()); // TreeId
    h.extend_from_slice(&0u64.to_le_bytes()); // SessionId
    h.extend_from_slice(&[0; 16]); // Signature
    h
}

/// Dialects offered, oldest first ([MS-SMB2] 2.2.3).
const SMB2_DIALECTS: [u16; 5] = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];

/// An SMB2 NEGOTIATE ([MS-SMB2] 2.2.3) offering 2.0.2 through 3.1.1, with the negotiate
/// contexts 3.1.1 requires (preauth integrity: SHA-512; encryption: AES-128-GCM/CCM), framed
/// for direct TCP. On port 139 send [`netbios_session_request`] before it.
pub fn smb2_negotiate() -> Vec<u8> {
    let mut msg = smb2_header(0x0000, 0, 0);
    let dialects_end = 64 + 36 + 2 * SMB2_DIALECTS.len();
    let contexts_at = dialects_end.next_multiple_of(8);
    msg.extend_from_slice(&36u16.to_le_bytes()); // StructureSize
    msg.extend_from_slice(&(SMB2_DIALECTS.len() as u16).to_le_bytes());
    msg.extend_from_slice(&1u16.to_le_bytes()); // SecurityMode: signing enabled
    msg.extend_from_slice(&0u16.to_le_bytes()); // Reserved
    msg.extend_from_slice(&0u32.to_le_bytes()); // Capabilities
    msg.extend_from_slice(b"Vigil-SMB-probe!"); // ClientGuid
    msg.extend_from_slice(&(contexts_at as u32).to_le_bytes()); // NegotiateContextOffset
    msg.extend_from_slice(&2u16.to_le_bytes()); // NegotiateContextCount
    msg.extend_from_slice(&0u16.to_le_bytes()); // Reserved2
    for d in SMB2_DIALECTS {
        msg.extend_from_slice(&d.to_le_bytes());
    }
    msg.resize(contexts_at, 0);
    // SMB2_PREAUTH_INTEGRITY_CAPABILITIES (2.2.3.1.1): one hash (SHA-512), a 32-byte salt.
    let mut preauth = Vec::new();
    preauth.extend_from_slice(&1u16.to_le_bytes());
    preauth.extend_from_slice(&32u16.to_le_bytes());
    preauth.extend_from_slice(&1u16.to_le_bytes());
    preauth.extend_from_slice(&[0x5a; 32]);
    // SMB2_ENCRYPTION_CAPABILITIES (2.2.3.1.2): AES-128-GCM, AES-128-CCM.
    let mut cipher = Vec::new();
    cipher.extend_from_slice(&2u16.to_le_bytes());
    cipher.extend_from_slice(&2u16.to_le_bytes());
    cipher.extend_from_slice(&1u16.to_le_bytes());
    for (i, (ty, data)) in [(1u16, preauth), (2u16, cipher)].into_iter().enumerate() {
        if i > 0 {
            let aligned = msg.len().next_multiple_of(8);
            msg.resize(aligned, 0);
        }
        msg.extend_from_slice(&ty.to_le_bytes());
        msg.extend_from_slice(&(data.len() as u16).to_le_bytes());
        msg.extend_from_slice(&0u32.to_le_bytes());
        msg.extend_from_slice(&data);
    }
    nbss(&msg)
}

/// An SMB1 NEGOTIATE ([MS-CIFS] 2.2.4.52.1) offering `NT LM 0.12` and the SMB2 dialects
/// (`SMB 2.002`, `SMB 2.???`, [MS-SMB2] 3.3.5.3.1): for servers that speak only SMB1.
pub fn smb1_negotiate() -> Vec<u8> {
    let mut msg = Vec::new();
    msg.extend_from_slice(b"\xffSMB");
    msg.push(0x72); // SMB_COM_NEGOTIATE
    msg.extend_from_slice(&0u32.to_le_bytes()); // Status
    msg.push(0x18); // Flags: case insensitive, canonicalized paths
    msg.extend_from_slice(&0xc001u16.to_le_bytes()); // Flags2: unicode, NT status, long names
    msg.extend_from_slice(&[0; 12]); // PIDHigh, SecurityFeatures, Reserved
    msg.extend_from_slice(&0u16.to_le_bytes()); // TID
    msg.extend_from_slice(&0x5647u16.to_le_bytes()); // PIDLow
    msg.extend_from_slice(&0u16.to_le_bytes()); // UID
    msg.extend_from_slice(&0u16.to_le_bytes()); // MID
    msg.push(0); // WordCount
    let mut dialects = Vec::new();
    for d in ["NT LM 0.12", "SMB 2.002", "SMB 2.???"] {
        dialects.push(0x02);
        dialects.extend_from_slice(d.as_bytes());
        dialects.push(0);
    }
    msg.extend_from_slice(&(dialects.len() as u16).to_le_bytes());
    msg.extend_from_slice(&dialects);
    nbss(&msg)
}

/// NTLMSSP_NEGOTIATE flags ([MS-NLMP] 2.2.2.5): unicode, OEM, request target, NTLM, always
/// sign, extended session security, target info, version, 128-bit, key exchange, 56-bit.
const NTLM_NEGOTIATE_FLAGS: u32 = 0xe288_8207;
/// NTLMSSP_NEGOTIATE_VERSION: the Version field is present.
const NTLM_FLAG_VERSION: u32 = 0x0200_0000;

/// An NTLMSSP NEGOTIATE message ([MS-NLMP] 2.2.1.1) asking the server to state its version.
fn ntlmssp_negotiate() -> Vec<u8> {
    let mut m = b"NTLMSSP\0".to_vec();
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&NTLM_NEGOTIATE_FLAGS.to_le_bytes());
    m.extend_from_slice(&[0; 16]); // DomainNameFields, WorkstationFields: empty
    m.extend_from_slice(&[10, 0, 0x4a, 0x61, 0, 0, 0, 15]); // Version 10.0.24906, revision 15
    m
}

/// SPNEGO (RFC 4178) NegTokenInit offering NTLMSSP with its NEGOTIATE as the mechToken.
fn spnego_ntlmssp_negotiate() -> Vec<u8> {
    const SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    const NTLMSSP: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
    let mech_types = ber_tlv(0xa0, &ber_tlv(0x30, &ber_tlv(0x06, NTLMSSP)));
    let mech_token = ber_tlv(0xa2, &ber_tlv(0x04, &ntlmssp_negotiate()));
    let init = ber_tlv(0xa0, &ber_tlv(0x30, &[mech_types, mech_token].concat()));
    ber_tlv(0x60, &[ber_tlv(0x06, SPNEGO), init].concat())
}

/// An SMB2 SESSION_SETUP ([MS-SMB2] 2.2.5) carrying an NTLMSSP NEGOTIATE, to send after a
/// successful [`smb2_negotiate`] on the same connection: the server's NTLMSSP CHALLENGE tells
/// its NTLM version (see [`smb_samba_challenge`]). Nothing is authenticated.
pub fn smb2_session_setup() -> Vec<u8> {
    let token = spnego_ntlmssp_negotiate();
    let mut msg = smb2_header(0x0001, 1, 1);
    msg.extend_from_slice(&25u16.to_le_bytes()); // StructureSize
    msg.push(0); // Flags
    msg.push(1); // SecurityMode: signing enabled
    msg.extend_from_slice(&0u32.to_le_bytes()); // Capabilities
    msg.extend_from_slice(&0u32.to_le_bytes()); // Channel
    msg.extend_from_slice(&(64u16 + 24).to_le_bytes()); // SecurityBufferOffset
    msg.extend_from_slice(&(token.len() as u16).to_le_bytes());
    msg.extend_from_slice(&0u64.to_le_bytes()); // PreviousSessionId
    msg.extend_from_slice(&token);
    nbss(&msg)
}

/// The SMB message after any NetBIOS positive session response: `Some(Err(()))` for a
/// negative session response (an SMB server that refused our names), `Some(Ok(msg))` for a
/// session message, `None` for anything else or a message not complete yet.
fn smb_message(raw: &[u8]) -> Option<Result<&[u8], ()>> {
    let raw = if raw.starts_with(&[0x82, 0, 0, 0]) {
        &raw[4..]
    } else {
        raw
    };
    match *raw.first()? {
        // Negative session response (RFC 1002 4.3.4): 4-byte header and an error code.
        0x83 if u16_be(raw, 2) == Some(1) => Some(Err(())),
        0x00 => {
            let len = u32_be(raw, 0)? as usize & 0x00ff_ffff;
            raw.get(4..4 + len).map(Ok)
        }
        _ => None,
    }
}

/// Whether `raw` holds a whole SMB answer (or cannot become one).
pub fn smb_complete(raw: &[u8]) -> bool {
    let rest = if raw.starts_with(&[0x82, 0, 0, 0]) {
        &raw[4..]
    } else {
        raw
    };
    match rest.first() {
        None => false,
        Some(0x00) => match u32_be(rest, 0) {
            Some(h) => rest.len() >= 4 + (h as usize & 0x00ff_ffff),
            None => false,
        },
        Some(0x83) => rest.len() >= 5,
        Some(_) => true,
    }
}

/// An SMB2 dialect revision as a version string.
fn smb2_dialect(d: u16) -> Option<&'static str> {
    Some(match d {
        0x0202 => "2.0.2",
        0x0210 => "2.1",
        0x0300 => "3.0",
        0x0302 => "3.0.2",
        0x0311 => "3.1.1",
        _ => return None,
    })
}

/// The negotiated dialect goes into the banner, not the version: a dialect is a protocol
/// revision, and as a version it would read as the server software's release.
fn dialect_banner(info: ServiceInfo, dialect: Option<&str>) -> ServiceInfo {
    ServiceInfo {
        banner: dialect.map(|d| format!("SMB dialect {d}")),
        ..info
    }
}

/// Recognise an answer to [`smb2_negotiate`] or [`smb1_negotiate`]: `smb`, with the
/// negotiated dialect (`3.1.1`, ..., `NT LM 0.12` for SMB1) in the banner. A NetBIOS negative session
/// response on port 139, or an SMB error, is still `smb` without a version.
pub fn match_smb(raw: &[u8]) -> Option<ServiceInfo> {
    let msg = match smb_message(raw)? {
        Err(()) => return Some(ServiceInfo::new("smb")),
        Ok(m) => m,
    };
    let info = ServiceInfo::new("smb");
    if msg.starts_with(b"\xfeSMB") {
        // SMB2 header: StructureSize 64, Command at 12 (0 = NEGOTIATE), Flags at 16 with
        // SMB2_FLAGS_SERVER_TO_REDIR (1) on responses.
        if u16_le(msg, 4)? != 64 || u16_le(msg, 12)? != 0 || u32_le(msg, 16)? & 1 == 0 {
            return None;
        }
        let status = u32_le(msg, 8)?;
        // NEGOTIATE response (2.2.4): StructureSize 65, SecurityMode, DialectRevision.
        let dialect = (status == 0 && u16_le(msg, 64) == Some(65))
            .then(|| u16_le(msg, 68).and_then(smb2_dialect))
            .flatten();
        return Some(dialect_banner(info, dialect));
    }
    if msg.starts_with(b"\xffSMB") {
        // SMB1 header ([MS-CIFS] 2.2.3.1): Command at 4 (0x72 NEGOTIATE), Flags at 9 with
        // SMB_FLAGS_REPLY (0x80); parameters after the 32-byte header: WordCount, then
        // DialectIndex (0 = NT LM 0.12, our first).
        if *msg.get(4)? != 0x72 || msg.get(9)? & 0x80 == 0 {
            return None;
        }
        let dialect = (u32_le(msg, 5)? == 0 && *msg.get(32)? >= 1 && u16_le(msg, 33)? == 0)
            .then_some("NT LM 0.12");
        return Some(dialect_banner(info, dialect));
    }
    None
}

/// Whether an answer to [`smb2_session_setup`] carries Samba's NTLMSSP CHALLENGE: Samba
/// always states version 6.1 build 0 ([MS-NLMP] 2.2.2.10), where Windows states its real
/// build number.
pub fn smb_samba_challenge(raw: &[u8]) -> bool {
    const MAGIC: &[u8] = b"NTLMSSP\0\x02\0\0\0";
    let Some(Ok(msg)) = smb_message(raw) else {
        return false;
    };
    let Some(at) = msg.windows(MAGIC.len()).position(|w| w == MAGIC) else {
        return false;
    };
    let chal = &msg[at..];
    let has_version = u32_le(chal, 20).is_some_and(|f| f & NTLM_FLAG_VERSION != 0);
    // Version: major, minor, build (u16), 3 reserved bytes, NTLM revision.
    has_version && chal.get(48..52) == Some(&[6, 1, 0, 0][..])
}

// ---------------------------------------------------------------------------------------------
// LDAP (RFC 4511) in BER (ITU-T X.690), definite lengths only (RFC 4511 section 5.1).

/// A BER element with a definite length (X.690 8.1.3: short form below 128, else long form).
fn ber_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = (n as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The header of the BER element at the start of `raw`: (tag, content length, header
/// length). Only the low-tag-number form (X.690 8.1.2.2) and definite lengths of at most 4
/// bytes (X.690 8.1.3; RFC 4511 5.1 forbids the indefinite form); the content may not have
/// arrived yet.
fn ber_header(raw: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *raw.first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = *raw.get(1)?;
    if first < 0x80 {
        return Some((tag, first as usize, 2));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let len = raw
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |len, b| (len << 8) | *b as usize);
    Some((tag, len, 2 + n))
}

/// Read one whole BER element at the start of `raw`: (tag, content, bytes used).
fn ber_read(raw: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (tag, len, head) = ber_header(raw)?;
    let end = head.checked_add(len)?;
    Some((tag, raw.get(head..end)?, end))
}

/// The elements of a constructed content, in order (stops at the first malformed one).
fn ber_children(mut content: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (tag, body, used) = ber_read(content)?;
        content = &content[used..];
        Some((tag, body))
    })
}

/// Root DSE attributes Vigil asks for: the version, the vendor (RFC 3045), OpenLDAP's
/// structural class, Active Directory's capabilities.
const LDAP_ROOT_DSE_ATTRS: [&str; 5] = [
    "supportedLDAPVersion",
    "vendorName",
    "vendorVersion",
    "objectClass",
    "supportedCapabilities",
];

/// An anonymous LDAPv3 search of the root DSE (RFC 4511 4.5.1, RFC 4512 5.1): message id 1,
/// base "", scope baseObject, no alias dereferencing, no limits, filter
/// `(objectClass=*)`, asking for [`LDAP_ROOT_DSE_ATTRS`].
pub fn ldap_root_dse_search() -> Vec<u8> {
    let attrs: Vec<u8> = LDAP_ROOT_DSE_ATTRS
        .iter()
        .flat_map(|a| ber_tlv(0x04, a.as_bytes()))
        .collect();
    let search = [
        ber_tlv(0x04, b""),            // baseObject
        ber_tlv(0x0a, &[0]),           // scope: baseObject
        ber_tlv(0x0a, &[0]),           // derefAliases: neverDerefAliases
        ber_tlv(0x02, &[0]),           // sizeLimit
        ber_tlv(0x02, &[0]),           // timeLimit
        ber_tlv(0x01, &[0]),           // typesOnly: FALSE
        ber_tlv(0x87, b"objectClass"), // filter: present [7]
        ber_tlv(0x30, &attrs),         // attributes
    ]
    .concat();
    let msg = [ber_tlv(0x02, &[1]), ber_tlv(0x63, &search)].concat();
    ber_tlv(0x30, &msg)
}

/// LDAP protocolOp tags (RFC 4511 4.2-4.12): bindResponse, searchResEntry, searchResDone,
/// searchResRef, extendedResp (a notice of disconnection is an extendedResp with id 0).
const LDAP_BIND_RESPONSE: u8 = 0x61;
const LDAP_SEARCH_ENTRY: u8 = 0x64;
const LDAP_SEARCH_DONE: u8 = 0x65;
const LDAP_SEARCH_REF: u8 = 0x73;
const LDAP_EXTENDED_RESPONSE: u8 = 0x78;

/// The LDAP messages at the start of `raw`: (messageID, protocolOp tag, protocolOp content)
/// for each complete one, stopping at the first incomplete or malformed one.
fn ldap_messages(raw: &[u8]) -> impl Iterator<Item = (i64, u8, &[u8])> {
    let mut rest = raw;
    std::iter::from_fn(move || {
        let (tag, body, used) = ber_read(rest)?;
        if tag != 0x30 {
            return None;
        }
        rest = &rest[used..];
        let mut kids = ber_children(body);
        let (id_tag, id) = kids.next()?;
        if id_tag != 0x02 || id.is_empty() || id.len() > 4 {
            return None;
        }
        let id = id.iter().fold(0i64, |a, b| (a << 8) | *b as i64);
        let (op, content) = kids.next()?;
        Some((id, op, content))
    })
}

/// Whether `raw` holds the end of our search's answer (a message other than an entry or a
/// reference), or cannot become an LDAP answer.
pub fn ldap_complete(raw: &[u8]) -> bool {
    let mut rest = raw;
    loop {
        if rest.len() < 6 {
            // Too short for a header with a long-form length: wait, unless it is foreign.
            return rest.first().is_some_and(|b| *b != 0x30);
        }
        let Some((0x30, len, head)) = ber_header(rest) else {
            return true;
        };
        let Some(end) = head.checked_add(len).filter(|end| *end <= rest.len()) else {
            return false; // the message has not all arrived
        };
        match ldap_messages(rest).next() {
            Some((_, op, _)) if op == LDAP_SEARCH_ENTRY || op == LDAP_SEARCH_REF => {}
            _ => return true,
        }
        rest = &rest[end..];
    }
}

/// Recognise an answer to [`ldap_root_dse_search`]: `ldap`, with product and version from
/// the root DSE: `vendorName`/`vendorVersion` when published (389 Directory Server, ApacheDS,
/// eDirectory, ...), else `OpenLDAP` for its `OpenLDAProotDSE` class, `Microsoft Active
/// Directory` (or AD LDS) for its capability OIDs. A bind response or a notice of
/// disconnection alone is still `ldap`.
pub fn match_ldap(raw: &[u8]) -> Option<ServiceInfo> {
    let mut info: Option<ServiceInfo> = None;
    for (id, op, content) in ldap_messages(raw).take(16) {
        match op {
            LDAP_SEARCH_ENTRY if id == 1 => {
                return Some(root_dse_info(content));
            }
            LDAP_SEARCH_DONE | LDAP_SEARCH_REF | LDAP_BIND_RESPONSE if id == 1 => {
                info.get_or_insert_with(|| ServiceInfo::new("ldap"));
            }
            LDAP_EXTENDED_RESPONSE if id == 0 || id == 1 => {
                info.get_or_insert_with(|| ServiceInfo::new("ldap"));
            }
            _ => return info,
        }
    }
    info
}

/// Attributes of a SearchResultEntry: `SEQUENCE { objectName, SEQUENCE OF SEQUENCE { type,
/// SET OF value } }` (RFC 4511 4.5.2).
fn ldap_entry_attrs(entry: &[u8]) -> Vec<(String, Vec<String>)> {
    let mut kids = ber_children(entry);
    let _name = kids.next();
    let Some((0x30, list)) = kids.next() else {
        return Vec::new();
    };
    ber_children(list)
        .filter(|(t, _)| *t == 0x30)
        .take(64)
        .filter_map(|(_, attr)| {
            let mut parts = ber_children(attr);
            let (t, ty) = parts.next()?;
            let (s, vals) = parts.next()?;
            (t == 0x04 && s == 0x31).then(|| {
                let vals = ber_children(vals)
                    .take(64)
                    .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                    .collect();
                (String::from_utf8_lossy(ty).into_owned(), vals)
            })
        })
        .collect()
}

fn root_dse_info(entry: &[u8]) -> ServiceInfo {
    let attrs = ldap_entry_attrs(entry);
    let get = |name: &str| {
        attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    };
    let first = |name: &str| {
        get(name)
            .first()
            .map(|s| clean(s))
            .filter(|s| !s.is_empty())
    };
    let info = ServiceInfo::new("ldap");
    let vendor = first("vendorName");
    let vendor_version = first("vendorVersion");
    if vendor.is_some() || vendor_version.is_some() {
        let (product, version) = split_vendor_version(vendor.as_deref(), vendor_version.as_deref());
        return info.with(product.as_deref(), version.as_deref());
    }
    if get("objectClass")
        .iter()
        .any(|c| c.eq_ignore_ascii_case("OpenLDAProotDSE"))
    {
        return info.with(Some("OpenLDAP"), None);
    }
    let caps = get("supportedCapabilities");
    if caps.iter().any(|c| c == "1.2.840.113556.1.4.800") {
        return info.with(Some("Microsoft Active Directory"), None);
    }
    if caps.iter().any(|c| c == "1.2.840.113556.1.4.1851") {
        return info.with(Some("Microsoft AD LDS"), None);
    }
    info
}

/// Product and version from RFC 3045's vendorName and vendorVersion:
/// `389 Project` + `389-Directory/2.3.1 B2023.123` -> (389-Directory, 2.3.1);
/// `Apache Software Foundation` + `2.0.0-M24` -> (Apache Software Foundation, 2.0.0-M24);
/// `NetIQ Corporation` + `LDAP Agent for NetIQ eDirectory 9.2.4 (40105.09)` -> (NetIQ
/// Corporation, 9.2.4).
fn split_vendor_version(
    vendor: Option<&str>,
    version: Option<&str>,
) -> (Option<String>, Option<String>) {
    let Some(v) = version else {
        return (vendor.map(str::to_string), None);
    };
    let mut product = vendor.map(str::to_string);
    let mut text = v;
    if let Some((name, rest)) = v.split_once('/') {
        if !name.is_empty() && !name.contains(' ') {
            product = Some(name.to_string());
            text = rest;
        }
    }
    let number = text
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(str::to_string);
    (product, number)
}

// ---------------------------------------------------------------------------------------------
// AMQP 0-9-1 (AMQP 0-9-1 specification, section 4.2: protocol header, frames, field tables).

/// The AMQP 0-9-1 protocol header (spec 4.2.2): "AMQP", 0, 0, 9, 1.
pub const AMQP_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";

/// Whether `raw` holds a whole answer to [`AMQP_HEADER`] (a protocol header or one frame), or
/// cannot become one.
pub fn amqp_complete(raw: &[u8]) -> bool {
    if raw.starts_with(b"AMQP") {
        return raw.len() >= 8;
    }
    match (raw.first(), u32_be(raw, 3)) {
        (Some(1), Some(size)) => raw.len() >= 8 + size as usize,
        (Some(1), None) => false,
        (None, _) => false,
        _ => true,
    }
}

/// Recognise an answer to [`AMQP_HEADER`]: a Connection.Start method frame (product and
/// version from its server-properties, e.g. RabbitMQ 3.12.1), or the server's own protocol
/// header when it speaks another version (version = that protocol version, e.g. `1.0.0`).
pub fn match_amqp(raw: &[u8]) -> Option<ServiceInfo> {
    if let Some(rest) = raw.strip_prefix(b"AMQP") {
        let head: [u8; 4] = rest.get(..4)?.try_into().ok()?;
        let version = match head {
            // 0-8, 0-9 and 0-10: class 1, instance 1, major, minor (0-8 is sent as 8, 0).
            [1, 1, 8, 0] => "0.8".to_string(),
            [1, 1, major, minor] => format!("{major}.{minor}"),
            // 0-9-1 (spec 4.2.2) and 1.0 (OASIS AMQP 1.0, 2.2): protocol id, major, minor,
            // revision.
            [_, major, minor, revision] => format!("{major}.{minor}.{revision}"),
        };
        return Some(ServiceInfo::new("amqp").with(None, Some(&version)));
    }
    // General frame (spec 4.2.3): type 1 (method), channel 0, size, payload, frame-end 0xCE.
    if *raw.first()? != 1 || u16_be(raw, 1)? != 0 {
        return None;
    }
    let size = u32_be(raw, 3)? as usize;
    let payload = raw.get(7..7usize.checked_add(size)?)?;
    if raw.get(7 + size) != Some(&0xce) {
        return None;
    }
    // Connection.Start (class 10, method 10): version-major, version-minor, server-properties.
    if u16_be(payload, 0)? != 10 || u16_be(payload, 2)? != 10 {
        return None;
    }
    let table_len = u32_be(payload, 6)? as usize;
    let table = payload.get(10..10usize.checked_add(table_len)?)?;
    let props = amqp_table_strings(table);
    let find = |k: &str| props.iter().find(|(n, _)| n == k).map(|(_, v)| clean(v));
    let product = find("product");
    let version = product.as_ref().and(find("version"));
    Some(ServiceInfo::new("amqp").with(product.as_deref(), version.as_deref()))
}

/// The long-string entries of a field table (spec 4.2.5.5; value types as in the 0-9-1
/// errata that RabbitMQ and Qpid follow), skipping every other value by its size; stops at an
/// unknown type or a length past the table.
fn amqp_table_strings(table: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < table.len() && out.len() < 64 {
        let Some(&name_len) = table.get(at) else {
            break;
        };
        let name_end = at + 1 + name_len as usize;
        let (Some(name), Some(&ty)) = (table.get(at + 1..name_end), table.get(name_end)) else {
            break;
        };
        let v = name_end + 1;
        let fixed = match ty {
            b't' | b'b' | b'B' => Some(1),
            b's' | b'u' | b'U' => Some(2),
            b'I' | b'i' | b'f' => Some(4),
            b'l' | b'L' | b'd' | b'T' => Some(8),
            b'D' => Some(5),
            b'V' => Some(0),
            b'S' | b'x' | b'A' | b'F' => None,
            _ => break,
        };
        let next = match fixed {
            Some(n) => v + n,
            None => {
                let Some(n) = u32_be(table, v) else { break };
                let end = v + 4 + n as usize;
                let Some(body) = table.get(v + 4..end) else {
                    break;
                };
                if ty == b'S' {
                    out.push((
                        String::from_utf8_lossy(name).into_owned(),
                        String::from_utf8_lossy(body).into_owned(),
                    ));
                }
                end
            }
        };
        if next > table.len() {
            break;
        }
        at = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bson::Value;

    fn triple(s: &ServiceInfo) -> (&str, Option<&str>, Option<&str>) {
        (s.name.as_str(), s.product.as_deref(), s.version.as_deref())
    }

    /// An OP_REPLY (legacy opcodes: header, responseFlags, cursorID, startingFrom,
    /// numberReturned, documents) answering `to`.
    fn op_reply(to: i32, doc: &Document) -> Vec<u8> {
        let d = doc.to_bytes();
        let mut out = ((36 + d.len()) as i32).to_le_bytes().to_vec();
        out.extend_from_slice(&99i32.to_le_bytes());
        out.extend_from_slice(&to.to_le_bytes());
        out.extend_from_slice(&OP_REPLY.to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes());
        out.extend_from_slice(&0i64.to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes());
        out.extend_from_slice(&1i32.to_le_bytes());
        out.extend_from_slice(&d);
        out
    }

    /// An OP_MSG answering `to`, with an optional document-sequence section first and an
    /// optional checksum (wire protocol spec, OP_MSG sections and flagBits).
    fn op_msg_reply(to: i32, doc: &Document, sequence: bool, checksum: bool) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&u32::from(checksum).to_le_bytes());
        if sequence {
            let d = Document::new().with("x", 1).to_bytes();
            body.push(1);
            body.extend_from_slice(&((4 + 10 + d.len()) as i32).to_le_bytes());
            body.extend_from_slice(b"documents\0");
            body.extend_from_slice(&d);
        }
        body.push(0);
        body.extend_from_slice(&doc.to_bytes());
        if checksum {
            body.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        }
        let mut out = ((16 + body.len()) as i32).to_le_bytes().to_vec();
        out.extend_from_slice(&7i32.to_le_bytes());
        out.extend_from_slice(&to.to_le_bytes());
        out.extend_from_slice(&OP_MSG.to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn mongodb_requests_follow_the_wire_protocol() {
        let q = mongodb_hello();
        let h = mongo_header(&q).unwrap();
        assert_eq!((h.length, h.request_id, h.op_code), (q.len(), 1, OP_QUERY));
        // flags, "admin.$cmd\0", skip 0, return -1, then {isMaster: 1}.
        assert_eq!(&q[16..20], &[0, 0, 0, 0]);
        assert_eq!(&q[20..31], b"admin.$cmd\0");
        assert_eq!(&q[31..39], &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        let doc = Document::from_bytes(&q[39..]).unwrap();
        assert_eq!(doc.get_i64("isMaster"), Some(1));

        let m = mongodb_build_info(17);
        let h = mongo_header(&m).unwrap();
        assert_eq!((h.length, h.request_id, h.op_code), (m.len(), 2, OP_MSG));
        assert_eq!(&m[16..21], &[0, 0, 0, 0, 0]);
        let doc = Document::from_bytes(&m[21..]).unwrap();
        assert_eq!(doc.iter().next().map(|(k, _)| k), Some("buildInfo"));
        assert_eq!(doc.get_str("$db"), Some("admin"));
        // Servers before 3.6 (wire version < 6) get OP_QUERY.
        let old = mongodb_build_info(5);
        assert_eq!(mongo_header(&old).unwrap().op_code, OP_QUERY);
        assert_eq!(&old[20..31], b"admin.$cmd\0");
    }

    #[test]
    fn mongodb_handshake_and_build_info() {
        // isMaster reply of a 7.0 standalone (fields as the server sends them).
        let hello = Document::new()
            .with("ismaster", true)
            .with("topologyVersion", Document::new().with("counter", 0i64))
            .with("maxBsonObjectSize", 16_777_216)
            .with("maxWireVersion", 21)
            .with("minWireVersion", 0)
            .with("readOnly", false)
            .with("ok", 1.0);
        let (info, wire) = match_mongodb_hello(&op_reply(1, &hello)).unwrap();
        assert_eq!(triple(&info), ("mongodb", Some("MongoDB"), None));
        assert_eq!(wire, 21);
        // The answer to another request is not ours.
        assert!(match_mongodb_hello(&op_reply(5, &hello)).is_none());
        let build = Document::new()
            .with("version", "7.0.2")
            .with("gitVersion", "02b3c655e1302209ef046da6ba3ef6749dd0b62a")
            .with(
                "versionArray",
                Value::Array(vec![7.into(), 0.into(), 2.into(), 0.into()]),
            )
            .with("ok", 1.0);
        for raw in [
            op_msg_reply(2, &build, false, false),
            op_msg_reply(2, &build, true, true),
            op_reply(2, &build),
        ] {
            assert_eq!(mongodb_version(&raw).as_deref(), Some("7.0.2"));
            assert!(parse_reply(&raw).unwrap().is_ok());
        }
        // An error reply (OP_QUERY refused by 5.1+) names no version.
        let err = Document::new()
            .with("ok", 0.0)
            .with("errmsg", "Unsupported OP_QUERY command: buildInfo")
            .with("code", 352);
        assert_eq!(mongodb_version(&op_reply(2, &err)), None);
    }

    #[test]
    fn mongodb_replies_are_bounded_by_buffer_and_header() {
        let doc = Document::new().with("ok", 1.0);
        let good = op_reply(1, &doc);
        assert!(mongo_complete(&good));
        for n in 0..good.len() {
            assert!(parse_reply(&good[..n]).is_none(), "{n}");
            assert!(!mongo_complete(&good[..n]) || n >= 16);
        }
        // A header claiming more than the buffer, less than a header, or a negative length.
        let mut long = good.clone();
        long[0..4].copy_from_slice(&1000i32.to_le_bytes());
        assert!(parse_reply(&long).is_none());
        assert!(!mongo_complete(&long));
        let mut short = good.clone();
        short[0..4].copy_from_slice(&8i32.to_le_bytes());
        assert!(parse_reply(&short).is_none());
        assert!(mongo_complete(&short), "an impossible header ends the read");
        let mut neg = good.clone();
        neg[0..4].copy_from_slice(&(-1i32).to_le_bytes());
        assert!(parse_reply(&neg).is_none());
        // numberReturned 0, an unknown opcode, OP_MSG with an unknown section kind.
        let mut none = good.clone();
        none[32..36].copy_from_slice(&0i32.to_le_bytes());
        assert!(parse_reply(&none).is_none());
        let mut op = good.clone();
        op[12..16].copy_from_slice(&2012i32.to_le_bytes());
        assert!(parse_reply(&op).is_none());
        let mut kind = op_msg_reply(1, &doc, false, false);
        kind[20] = 7;
        assert!(parse_reply(&kind).is_none());
        // MongoDB's answer to HTTP on its port.
        assert!(is_mongodb_http_notice(
            b"HTTP/1.0 200 OK\r\nContent-Length: 85\r\n\r\nIt looks like you are trying to access MongoDB over HTTP on the native driver port.\r\n"
        ));
        assert!(!is_mongodb_http_notice(b"HTTP/1.1 200 OK\r\n\r\nhello"));
    }

    #[test]
    fn rdp_negotiation() {
        // TPKT v3, length 19; X.224 CR (LI 14, 0xE0, refs 0, class 0); RDP_NEG_REQ for
        // TLS|CredSSP ([MS-RDPBCGR] 4.1.1 shows the same layout).
        assert_eq!(
            rdp_connection_request(),
            [3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0]
        );
        // Recorded from xrdp 0.9.21 (Debian 12): CC, SRC-REF 0x1234, RDP_NEG_RSP flags 0x01,
        // TLS selected.
        let xrdp = [
            3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 1, 8, 0, 1, 0, 0, 0,
        ];
        assert!(rdp_complete(&xrdp) && !rdp_complete(&xrdp[..10]));
        assert_eq!(triple(&match_rdp(&xrdp).unwrap()), ("rdp", None, None));
        // Windows 10/2016+: flags 0x1f (extended data, GFX, reserved, restricted admin,
        // redirected authentication), CredSSP selected ([MS-RDPBCGR] 2.2.1.2.1).
        let win = [
            3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 2, 0, 0, 0,
        ];
        assert_eq!(
            triple(&match_rdp(&win).unwrap()),
            ("rdp", Some("Microsoft Terminal Services"), None)
        );
        // RDP_NEG_FAILURE (HYBRID_REQUIRED_BY_SERVER) and a bare CC (no negotiation data).
        let fail = [
            3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 3, 0, 8, 0, 5, 0, 0, 0,
        ];
        assert_eq!(match_rdp(&fail).unwrap().name, "rdp");
        let bare = [3, 0, 0, 11, 6, 0xd0, 0, 0, 0x12, 0x34, 0];
        assert_eq!(match_rdp(&bare).unwrap().name, "rdp");
        // A Connection Request, a Disconnect Request, inconsistent lengths, foreign bytes.
        assert!(match_rdp(&rdp_connection_request()).is_none());
        assert!(match_rdp(&[3, 0, 0, 11, 6, 0x80, 0, 0, 0, 0, 0]).is_none());
        assert!(match_rdp(&[3, 0, 0, 40, 14, 0xd0, 0, 0, 0, 0, 0]).is_none());
        assert!(match_rdp(b"HTTP/1.1 400 Bad Request\r\n").is_none());
        assert!(rdp_complete(b"HTTP"));
    }

    /// An SMB2 NEGOTIATE response ([MS-SMB2] 2.2.4) choosing `dialect`, with `status`.
    fn smb2_negotiate_response(dialect: u16, status: u32) -> Vec<u8> {
        let mut m = smb2_header(0, 0, 0);
        m[8..12].copy_from_slice(&status.to_le_bytes());
        m[16..20].copy_from_slice(&1u32.to_le_bytes()); // SMB2_FLAGS_SERVER_TO_REDIR
        if status == 0 {
            m.extend_from_slice(&65u16.to_le_bytes());
            m.extend_from_slice(&1u16.to_le_bytes());
            m.extend_from_slice(&dialect.to_le_bytes());
            m.extend_from_slice(&[0; 58]);
        } else {
            // ERROR response (2.2.2): StructureSize 9.
            m.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0, 0]);
        }
        nbss(&m)
    }

    #[test]
    fn smb_requests_follow_ms_smb2() {
        let n = smb2_negotiate();
        let len = u32_be(&n, 0).unwrap() as usize;
        assert_eq!(len + 4, n.len());
        let m = &n[4..];
        assert_eq!(&m[..4], b"\xfeSMB");
        assert_eq!(u16_le(m, 64), Some(36));
        assert_eq!(u16_le(m, 66), Some(5));
        // Dialects right after the 36-byte body, contexts at the next 8-byte boundary.
        assert_eq!(u16_le(m, 100 + 8), Some(0x0311));
        let ctx = u32_le(m, 64 + 28).unwrap() as usize;
        assert_eq!((ctx, ctx % 8), (112, 0));
        assert_eq!(u16_le(m, ctx), Some(1)); // PREAUTH_INTEGRITY
        assert_eq!(u16_le(m, ctx + 2), Some(38));
        assert_eq!(u16_le(m, 160), Some(2)); // ENCRYPTION, 8-aligned after the first
        assert_eq!(m.len(), 160 + 8 + 6);

        let s = smb2_session_setup();
        let m = &s[4..];
        assert_eq!(
            (
                u16_le(m, 12),
                u64::from_le_bytes(m[24..32].try_into().unwrap())
            ),
            (Some(1), 1)
        );
        let off = u16_le(m, 64 + 12).unwrap() as usize;
        let blob = &m[off..off + u16_le(m, 64 + 14).unwrap() as usize];
        assert_eq!(blob[0], 0x60); // GSS-API InitialContextToken
        assert!(blob.windows(8).any(|w| w == b"NTLMSSP\0"));

        let r = netbios_session_request();
        assert_eq!((r[0], u16_be(&r, 2).unwrap() as usize), (0x81, r.len() - 4));
        // "*SMBSERVER" encodes to 'C','K' for '*' (0x2a) ... suffix 0x20 -> "CA".
        assert_eq!(&r[4..7], b"\x20CK");
        assert_eq!(&r[35..38], b"CA\0");

        let one = smb1_negotiate();
        assert_eq!((&one[4..8], one[8]), (&b"\xffSMB"[..], 0x72));
        assert!(one.windows(10).any(|w| w == b"NT LM 0.12"));
    }

    #[test]
    fn smb_answers() {
        for (d, v) in [
            (0x0311, "3.1.1"),
            (0x0302, "3.0.2"),
            (0x0210, "2.1"),
            (0x0202, "2.0.2"),
        ] {
            let raw = smb2_negotiate_response(d, 0);
            assert!(smb_complete(&raw) && !smb_complete(&raw[..20]));
            let m = match_smb(&raw).unwrap();
            assert_eq!(triple(&m), ("smb", None, None));
            assert_eq!(m.banner, Some(format!("SMB dialect {v}")));
        }
        // STATUS_NOT_SUPPORTED: still SMB, no dialect.
        let err = smb2_negotiate_response(0, 0xc000_00bb);
        assert_eq!(triple(&match_smb(&err).unwrap()), ("smb", None, None));
        // Port 139: positive session response, then the negotiate response.
        let mut nb = vec![0x82, 0, 0, 0];
        nb.extend_from_slice(&smb2_negotiate_response(0x0300, 0));
        assert!(smb_complete(&nb) && !smb_complete(&nb[..4]));
        assert_eq!(
            match_smb(&nb).unwrap().banner.as_deref(),
            Some("SMB dialect 3.0")
        );
        // Negative session response ("called name not present").
        assert_eq!(match_smb(&[0x83, 0, 0, 1, 0x82]).unwrap().name, "smb");
        // SMB1 negotiate response ([MS-CIFS] 2.2.4.52.2): WordCount 17, DialectIndex 0.
        let mut one = b"\xffSMB\x72\0\0\0\0\x98\x01\xc0".to_vec();
        one.resize(32, 0);
        one.push(17);
        one.extend_from_slice(&[0, 0]);
        one.resize(32 + 1 + 34 + 2, 0);
        assert_eq!(
            match_smb(&nbss(&one)).unwrap().banner.as_deref(),
            Some("SMB dialect NT LM 0.12")
        );
        // Requests (no reply flag) and foreign bytes are not SMB answers.
        assert!(match_smb(&smb2_negotiate()).is_none());
        assert!(match_smb(&smb1_negotiate()).is_none());
        assert!(match_smb(b"HTTP/1.1 400 Bad Request\r\n").is_none());
        assert!(match_smb(&[0, 0, 0, 4, 1, 2, 3, 4]).is_none());
    }

    /// An SMB2 SESSION_SETUP response carrying an NTLMSSP CHALLENGE ([MS-NLMP] 2.2.1.2) that
    /// states `version` (major, minor, build).
    fn session_setup_challenge(version: (u8, u8, u16)) -> Vec<u8> {
        let mut chal = b"NTLMSSP\0\x02\0\0\0".to_vec();
        chal.extend_from_slice(&[0; 8]); // TargetNameFields
        chal.extend_from_slice(&NTLM_NEGOTIATE_FLAGS.to_le_bytes());
        chal.extend_from_slice(&[0x11; 8]); // ServerChallenge
        chal.extend_from_slice(&[0; 16]); // Reserved, TargetInfoFields
        chal.extend_from_slice(&[version.0, version.1]);
        chal.extend_from_slice(&version.2.to_le_bytes());
        chal.extend_from_slice(&[0, 0, 0, 15]);
        let token = ber_tlv(0xa1, &ber_tlv(0x30, &ber_tlv(0xa2, &ber_tlv(0x04, &chal))));
        let mut m = smb2_header(1, 1, 1);
        m[8..12].copy_from_slice(&0xc000_0016u32.to_le_bytes()); // MORE_PROCESSING_REQUIRED
        m.extend_from_slice(&9u16.to_le_bytes());
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&72u16.to_le_bytes());
        m.extend_from_slice(&(token.len() as u16).to_le_bytes());
        m.extend_from_slice(&token);
        nbss(&m)
    }

    #[test]
    fn samba_is_told_by_its_ntlm_version() {
        assert!(smb_samba_challenge(&session_setup_challenge((6, 1, 0))));
        // Windows 10 / Server 2019 state their build.
        assert!(!smb_samba_challenge(&session_setup_challenge((
            10, 0, 17763
        ))));
        assert!(!smb_samba_challenge(&smb2_negotiate_response(0x0311, 0)));
        let raw = session_setup_challenge((6, 1, 0));
        assert!(!smb_samba_challenge(&raw[..raw.len() - 4]));
    }

    /// A SearchResultEntry for the root DSE with `attrs` (RFC 4511 4.5.2).
    fn root_dse_entry(id: u8, attrs: &[(&str, &[&str])]) -> Vec<u8> {
        let list: Vec<u8> = attrs
            .iter()
            .flat_map(|(t, vals)| {
                let vals: Vec<u8> = vals
                    .iter()
                    .flat_map(|v| ber_tlv(0x04, v.as_bytes()))
                    .collect();
                ber_tlv(
                    0x30,
                    &[ber_tlv(0x04, t.as_bytes()), ber_tlv(0x31, &vals)].concat(),
                )
            })
            .collect();
        let entry = ber_tlv(0x64, &[ber_tlv(0x04, b""), ber_tlv(0x30, &list)].concat());
        ber_tlv(0x30, &[ber_tlv(0x02, &[id]), entry].concat())
    }

    /// An LDAPResult-shaped message (resultCode, matchedDN, diagnosticMessage).
    fn ldap_result(id: u8, op: u8, code: u8, text: &str) -> Vec<u8> {
        let res = [
            ber_tlv(0x0a, &[code]),
            ber_tlv(0x04, b""),
            ber_tlv(0x04, text.as_bytes()),
        ]
        .concat();
        ber_tlv(0x30, &[ber_tlv(0x02, &[id]), ber_tlv(op, &res)].concat())
    }

    #[test]
    fn ldap_search_is_proper_ber() {
        let req = ldap_root_dse_search();
        let (tag, body, used) = ber_read(&req).unwrap();
        assert_eq!((tag, used), (0x30, req.len()));
        let kids: Vec<_> = ber_children(body).collect();
        assert_eq!(kids[0], (0x02, &[1u8][..]));
        assert_eq!(kids[1].0, 0x63);
        let fields: Vec<_> = ber_children(kids[1].1).collect();
        assert_eq!(fields.len(), 8);
        assert_eq!(fields[0], (0x04, &b""[..]));
        assert_eq!(fields[1], (0x0a, &[0u8][..]));
        assert_eq!(fields[6], (0x87, &b"objectClass"[..]));
        let attrs: Vec<_> = ber_children(fields[7].1).map(|(_, a)| a).collect();
        assert!(attrs.contains(&&b"vendorVersion"[..]));
        // Long-form lengths (X.690 8.1.3.5).
        let big = ber_tlv(0x04, &[7; 300]);
        assert_eq!(&big[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(
            ber_read(&big).map(|(t, c, n)| (t, c.len(), n)),
            Some((4, 300, 304))
        );
        // Indefinite, over-long and truncated lengths are refused.
        assert!(ber_read(&[0x30, 0x80, 0, 0]).is_none());
        assert!(ber_read(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(ber_read(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0]).is_none());
        assert!(ber_read(&[0x04, 5, 1, 2]).is_none());
        assert!(ber_read(&[0x1f, 1, 0]).is_none());
    }

    #[test]
    fn ldap_answers() {
        // OpenLDAP 2.5 (recorded shape): objectClass top + OpenLDAProotDSE, no vendor.
        let mut open = root_dse_entry(
            1,
            &[
                ("objectClass", &["top", "OpenLDAProotDSE"]),
                ("supportedLDAPVersion", &["3"]),
            ],
        );
        open.extend_from_slice(&ldap_result(1, LDAP_SEARCH_DONE, 0, ""));
        assert!(ldap_complete(&open));
        assert_eq!(
            triple(&match_ldap(&open).unwrap()),
            ("ldap", Some("OpenLDAP"), None)
        );
        // The entry alone is recognised but the read is not over until the done message.
        let entry_only = &open[..open.len() - ldap_result(1, LDAP_SEARCH_DONE, 0, "").len()];
        assert!(!ldap_complete(entry_only));
        assert!(!ldap_complete(&open[..5]));
        // 389 Directory Server publishes RFC 3045 vendor attributes.
        let ds = root_dse_entry(
            1,
            &[
                ("vendorName", &["389 Project"]),
                ("vendorVersion", &["389-Directory/2.3.1 B2023.123.0000"]),
            ],
        );
        assert_eq!(
            triple(&match_ldap(&ds).unwrap()),
            ("ldap", Some("389-Directory"), Some("2.3.1"))
        );
        let apache = root_dse_entry(
            1,
            &[
                ("vendorName", &["Apache Software Foundation"]),
                ("vendorVersion", &["2.0.0.AM26"]),
            ],
        );
        assert_eq!(
            triple(&match_ldap(&apache).unwrap()),
            (
                "ldap",
                Some("Apache Software Foundation"),
                Some("2.0.0.AM26")
            )
        );
        let ad = root_dse_entry(
            1,
            &[(
                "supportedCapabilities",
                &["1.2.840.113556.1.4.800", "1.2.840.113556.1.4.1670"],
            )],
        );
        assert_eq!(
            match_ldap(&ad).unwrap().product.as_deref(),
            Some("Microsoft Active Directory")
        );
        // Search refused (insufficientAccessRights, 50), a notice of disconnection.
        let done = ldap_result(1, LDAP_SEARCH_DONE, 50, "anonymous access denied");
        assert_eq!(triple(&match_ldap(&done).unwrap()), ("ldap", None, None));
        let notice = ldap_result(0, LDAP_EXTENDED_RESPONSE, 2, "protocol error");
        assert!(ldap_complete(&notice));
        assert_eq!(match_ldap(&notice).unwrap().name, "ldap");
        // Our own request, another message id, foreign bytes.
        assert!(match_ldap(&ldap_root_dse_search()).is_none());
        assert!(match_ldap(&ldap_result(7, LDAP_SEARCH_DONE, 0, "")).is_none());
        assert!(match_ldap(b"HTTP/1.1 400 Bad Request\r\n").is_none());
        assert!(ldap_complete(b"HTTP/1.1 400"));
    }

    /// A Connection.Start frame (AMQP 0-9-1 spec 4.2.3, class 10 method 10) with
    /// server-properties built from `table`.
    fn connection_start(table: &[u8]) -> Vec<u8> {
        let mut p = vec![0, 10, 0, 10, 0, 9];
        p.extend_from_slice(&(table.len() as u32).to_be_bytes());
        p.extend_from_slice(table);
        for s in [&b"PLAIN AMQPLAIN"[..], b"en_US"] {
            p.extend_from_slice(&(s.len() as u32).to_be_bytes());
            p.extend_from_slice(s);
        }
        let mut f = vec![1, 0, 0];
        f.extend_from_slice(&(p.len() as u32).to_be_bytes());
        f.extend_from_slice(&p);
        f.push(0xce);
        f
    }

    fn field(name: &str, ty: u8, value: &[u8]) -> Vec<u8> {
        let mut f = vec![name.len() as u8];
        f.extend_from_slice(name.as_bytes());
        f.push(ty);
        f.extend_from_slice(value);
        f
    }

    fn longstr(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v
    }

    #[test]
    fn amqp_answers() {
        let caps = [
            field("publisher_confirms", b't', &[1]),
            field("x", b'I', &[0; 4]),
        ]
        .concat();
        let mut caps_table = (caps.len() as u32).to_be_bytes().to_vec();
        caps_table.extend_from_slice(&caps);
        let table = [
            field("capabilities", b'F', &caps_table),
            field("cluster_name", b'S', &longstr("rabbit@host")),
            field("n", b'l', &[0; 8]),
            field("d", b'D', &[2, 0, 0, 0, 5]),
            field("v", b'V', &[]),
            field("product", b'S', &longstr("RabbitMQ")),
            field("version", b'S', &longstr("3.12.1")),
        ]
        .concat();
        let start = connection_start(&table);
        assert!(amqp_complete(&start) && !amqp_complete(&start[..20]));
        assert_eq!(
            triple(&match_amqp(&start).unwrap()),
            ("amqp", Some("RabbitMQ"), Some("3.12.1"))
        );
        // Without a product, no version is claimed.
        let anon = connection_start(&field("version", b'S', &longstr("1.0")));
        assert_eq!(triple(&match_amqp(&anon).unwrap()), ("amqp", None, None));
        // An unknown value type stops the table, not the match.
        let odd = connection_start(
            &[
                field("q", b'?', &[1]),
                field("product", b'S', &longstr("X")),
            ]
            .concat(),
        );
        assert_eq!(triple(&match_amqp(&odd).unwrap()), ("amqp", None, None));
        // A broker of another version answers with its own protocol header.
        assert!(amqp_complete(b"AMQP\x00\x01\x00\x00"));
        assert_eq!(
            match_amqp(b"AMQP\x00\x01\x00\x00")
                .unwrap()
                .version
                .as_deref(),
            Some("1.0.0")
        );
        assert_eq!(
            match_amqp(AMQP_HEADER).unwrap().version.as_deref(),
            Some("0.9.1")
        );
        for (header, v) in [
            (&b"AMQP\x03\x01\x00\x00"[..], "1.0.0"), // 1.0 with SASL layer
            (b"AMQP\x01\x01\x00\x0a", "0.10"),
            (b"AMQP\x01\x01\x08\x00", "0.8"),
        ] {
            assert_eq!(match_amqp(header).unwrap().version.as_deref(), Some(v));
        }
        // Missing frame end, another method, foreign bytes.
        let mut cut = start.clone();
        *cut.last_mut().unwrap() = 0;
        assert!(match_amqp(&cut).is_none());
        let mut other = start.clone();
        other[10] = 11; // method 11 (Start-Ok) instead of Start
        assert!(match_amqp(&other).is_none());
        assert!(match_amqp(b"HTTP/1.1 400").is_none());
        assert!(match_amqp(b"AMQP").is_none());
    }

    fn unhex(parts: &[&str]) -> Vec<u8> {
        let h: String = parts.concat();
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Answers recorded from Debian 12's servers on 127.0.0.1 to this module's requests.
    #[test]
    fn recorded_answers_of_real_servers() {
        // RabbitMQ 3.10.8: Connection.Start (version 0-9, capabilities table, cluster_name,
        // copyright, information, platform, product, version; PLAIN AMQPLAIN; en_US).
        let rmq = unhex(&[
            "010000000001f3000a000a0009000001ce0c6361706162696c697469657346000000c7127075626c69736865",
            "725f636f6e6669726d7374011a65786368616e67655f65786368616e67655f62696e64696e677374010a6261",
            "7369632e6e61636b740116636f6e73756d65725f63616e63656c5f6e6f74696679740112636f6e6e65637469",
            "6f6e2e626c6f636b6564740113636f6e73756d65725f7072696f72697469657374011c61757468656e746963",
            "6174696f6e5f6661696c7572655f636c6f73657401107065725f636f6e73756d65725f716f7374010f646972",
            "6563745f7265706c795f746f74010c636c75737465725f6e616d65530000000c766967696c7465737440766d",
            "09636f707972696768745300000037436f707972696768742028632920323030372d3230323220564d776172",
            "652c20496e632e206f722069747320616666696c69617465732e0b696e666f726d6174696f6e53000000394c",
            "6963656e73656420756e64657220746865204d504c20322e302e20576562736974653a2068747470733a2f2f",
            "7261626269746d712e636f6d08706c6174666f726d530000001145726c616e672f4f54502032352e322e3307",
            "70726f6475637453000000085261626269744d510776657273696f6e5300000006332e31302e380000000e41",
            "4d51504c41494e20504c41494e00000005656e5f5553ce",
        ]);
        assert!(amqp_complete(&rmq));
        assert_eq!(
            triple(&match_amqp(&rmq).unwrap()),
            ("amqp", Some("RabbitMQ"), Some("3.10.8"))
        );
        // OpenLDAP 2.5.13: the root DSE entry (objectClass, supportedLDAPVersion) and done.
        let ldap = unhex(&[
            "304d0201016448040030443025040b6f626a656374436c61737331160403746f70040f4f70656e4c44415072",
            "6f6f74445345301b0414737570706f727465644c44415056657273696f6e3103040133300c02010165070a01",
            "0004000400",
        ]);
        assert!(ldap_complete(&ldap));
        assert_eq!(
            triple(&match_ldap(&ldap).unwrap()),
            ("ldap", Some("OpenLDAP"), None)
        );
        // Samba 4.17.12: SMB2 NEGOTIATE response choosing 3.1.1 (with its negotiate contexts).
        let neg = unhex(&[
            "000000fefe534d42400000000000000000000100010000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000004100010011030100766d00000000000000000000",
            "000000000700000000008000000080000000800010f5d6e6057bdd01000000000000000080004a00d0000000",
            "604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa32a3028a0261b246e6f745f6465",
            "66696e65645f696e5f5246433431373840706c656173655f69676e6f72650000000000000100260000000000",
            "010020000100051683223804c976f12d05e6bca9eafd06a4bfaa204967a5312076f548090f37",
        ]);
        assert!(smb_complete(&neg));
        assert_eq!(
            match_smb(&neg).unwrap().banner.as_deref(),
            Some("SMB dialect 3.1.1")
        );
        assert!(!smb_samba_challenge(&neg));
        // ... then SESSION_SETUP, STATUS_MORE_PROCESSING_REQUIRED with an NTLMSSP CHALLENGE
        // stating version 6.1 build 0, revision 15.
        let chal = unhex(&[
            "000000ccfe534d4240000100160000c001000100010000000000000001000000000000000000000000000000",
            "c6882a6300000000000000000000000000000000000000000900000048008400a18181307fa0030a0101a10c",
            "060a2b06010401823702020aa26a04684e544c4d5353500002000000040004003800000005828ae2060528f6",
            "794c321e00000000000000002c002c003c000000060100000000000f56004d000200040056004d0001000400",
            "56004d00040000000300040076006d00070008009a4a47e7057bdd0100000000",
        ]);
        assert!(smb_complete(&chal));
        assert!(smb_samba_challenge(&chal));
        // The SMB1 NEGOTIATE gets an SMB2 answer with the wildcard dialect 0x02FF: SMB, no
        // exact dialect.
        let smb1 = unhex(&[
            "000000cafe534d42400000000000000000000100010000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000000000000000000041000100ff020000766d00000000000000000000",
            "0000000007000000000080000000800000008000b68ab3e7057bdd01000000000000000080004a0000000000",
            "604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa32a3028a0261b246e6f745f6465",
            "66696e65645f696e5f5246433431373840706c656173655f69676e6f7265",
        ]);
        assert_eq!(triple(&match_smb(&smb1).unwrap()), ("smb", None, None));
    }

    proptest::proptest! {
        #[test]
        fn matchers_never_panic(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = mongo_header(&raw);
            let _ = mongo_complete(&raw);
            let _ = parse_reply(&raw);
            let _ = match_mongodb_hello(&raw);
            let _ = mongodb_version(&raw);
            let _ = is_mongodb_http_notice(&raw);
            let _ = rdp_complete(&raw);
            let _ = match_rdp(&raw);
            let _ = smb_complete(&raw);
            let _ = match_smb(&raw);
            let _ = smb_samba_challenge(&raw);
            let _ = ber_read(&raw);
            let _ = ldap_complete(&raw);
            let _ = match_ldap(&raw);
            let _ = amqp_complete(&raw);
            let _ = match_amqp(&raw);
        }

        #[test]
        fn matchers_never_panic_on_near_answers(
            which in 0usize..6,
            flips in proptest::collection::vec((0usize..400, proptest::num::u8::ANY), 0..6),
            cut in 0usize..400,
        ) {
            // Valid answers with a few bytes changed and cut short reach deeper paths.
            let mut raw = match which {
                0 => op_msg_reply(2, &Document::new().with("version", "7.0.2").with("ok", 1.0), true, true),
                1 => [3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 2, 0, 0, 0].to_vec(),
                2 => smb2_negotiate_response(0x0311, 0),
                3 => session_setup_challenge((6, 1, 0)),
                4 => root_dse_entry(1, &[("vendorName", &["x"]), ("vendorVersion", &["a/1.2 b"])]),
                _ => connection_start(&[field("product", b'S', &longstr("RabbitMQ")), field("c", b'F', &[0, 0, 0, 9, 1])].concat()),
            };
            for (at, b) in flips {
                let n = raw.len();
                raw[at % n] = b;
            }
            raw.truncate(cut.max(1));
            let _ = parse_reply(&raw);
            let _ = match_mongodb_hello(&raw);
            let _ = mongodb_version(&raw);
            let _ = match_rdp(&raw);
            let _ = match_smb(&raw);
            let _ = smb_samba_challenge(&raw);
            let _ = ldap_complete(&raw);
            let _ = match_ldap(&raw);
            let _ = match_amqp(&raw);
        }
    }
}
