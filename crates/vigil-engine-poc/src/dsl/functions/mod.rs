//! nuclei's helper functions (projectdiscovery/dsl): the registry the parser resolves names
//! against, with each helper's argument count, and the implementations grouped by what they
//! do. Every name is also known without underscores (`tolower`, `base64decode`), as nuclei
//! registers both. Helpers this engine does not run are known names that evaluate to an
//! error saying why.

mod codec;
mod random;
mod text;
mod time;
mod versions;

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::bytes::Regex;

use super::error::{EvalError, ParseError};
use super::value::Value;

/// A helper's body: the evaluated arguments and the regex argument compiled at parse time.
pub type HelperFn = fn(&[Value], Option<&Regex>) -> Result<Value, String>;

enum Imp {
    Run(HelperFn),
    Unsupported(&'static str),
}

/// One helper function.
pub struct Func {
    /// The canonical name.
    pub name: &'static str,
    min: usize,
    max: Option<usize>,
    /// The argument that is a regex pattern, compiled once when it is a literal.
    pub regex_arg: Option<usize>,
    imp: Imp,
}

impl std::fmt::Debug for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}()", self.name)
    }
}

impl Func {
    const fn run(name: &'static str, min: usize, max: Option<usize>, f: HelperFn) -> Func {
        Func {
            name,
            min,
            max,
            regex_arg: None,
            imp: Imp::Run(f),
        }
    }

    const fn re(self, arg: usize) -> Func {
        Func {
            regex_arg: Some(arg),
            ..self
        }
    }

    const fn unsupported(name: &'static str, reason: &'static str) -> Func {
        Func {
            name,
            min: 0,
            max: None,
            regex_arg: None,
            imp: Imp::Unsupported(reason),
        }
    }

    /// Whether the same arguments always give the same result (not random, not the clock).
    pub fn is_deterministic(&self) -> bool {
        matches!(self.imp, Imp::Run(_))
            && !self.name.starts_with("rand_")
            && !matches!(self.name, "unix_time" | "date_time" | "print_debug")
    }

    /// Why this engine does not run the helper, if it does not.
    pub fn unsupported_reason(&self) -> Option<&'static str> {
        match self.imp {
            Imp::Unsupported(r) => Some(r),
            Imp::Run(_) => None,
        }
    }

    /// Checks an argument count against the helper's signature.
    pub fn check_arity(&self, got: usize) -> Result<(), ParseError> {
        let ok = got >= self.min && self.max.is_none_or(|m| got <= m);
        if ok {
            return Ok(());
        }
        let expected = match self.max {
            Some(m) if m == self.min => m.to_string(),
            Some(m) => format!("{} to {m}", self.min),
            None => format!("at least {}", self.min),
        };
        Err(ParseError::Arity {
            name: self.name.to_string(),
            expected,
            got,
        })
    }

    /// Runs the helper.
    pub fn call(&self, args: &[Value], re: Option<&Regex>) -> Result<Value, EvalError> {
        self.check_arity(args.len())
            .map_err(|e| EvalError::Type(e.to_string()))?;
        match self.imp {
            Imp::Run(f) => f(args, re).map_err(|msg| EvalError::Helper {
                name: self.name.to_string(),
                msg,
            }),
            Imp::Unsupported(reason) => Err(EvalError::Unsupported {
                name: self.name.to_string(),
                reason: reason.to_string(),
            }),
        }
    }
}

const N: Option<usize> = None;
const fn n(x: usize) -> Option<usize> {
    Some(x)
}

/// Every helper, supported or not.
static FUNCS: &[Func] = &[
    // text
    Func::run("len", 1, n(1), text::len),
    Func::run("to_upper", 1, n(1), text::to_upper),
    Func::run("to_lower", 1, n(1), text::to_lower),
    Func::run("to_title", 1, n(2), text::to_title),
    Func::run("index", 2, n(2), text::index),
    Func::run("repeat", 2, n(2), text::repeat),
    Func::run("replace", 3, n(3), text::replace),
    Func::run("replace_regex", 3, n(3), text::replace_regex).re(1),
    Func::run("trim", 2, n(2), text::trim),
    Func::run("trim_left", 2, n(2), text::trim_left),
    Func::run("trim_right", 2, n(2), text::trim_right),
    Func::run("trim_space", 1, n(1), text::trim_space),
    Func::run("trim_prefix", 2, n(2), text::trim_prefix),
    Func::run("trim_suffix", 2, n(2), text::trim_suffix),
    Func::run("reverse", 1, n(1), text::reverse),
    Func::run("contains", 2, n(2), text::contains),
    Func::run("contains_all", 1, N, text::contains_all),
    Func::run("contains_any", 1, N, text::contains_any),
    Func::run("equals_any", 1, N, text::equals_any),
    Func::run("starts_with", 2, N, text::starts_with),
    Func::run("ends_with", 2, N, text::ends_with),
    Func::run("line_starts_with", 2, N, text::line_starts_with),
    Func::run("line_ends_with", 2, N, text::line_ends_with),
    Func::run("concat", 0, N, text::concat),
    Func::run("split", 2, n(3), text::split),
    Func::run("join", 2, N, text::join),
    Func::run("regex", 2, n(2), text::regex).re(0),
    Func::run("regex_all", 2, N, text::regex_all).re(0),
    Func::run("regex_any", 2, N, text::regex_any).re(0),
    Func::run("remove_bad_chars", 2, n(2), text::remove_bad_chars),
    Func::run("substr", 2, n(3), text::substr),
    Func::run("count", 2, n(2), text::count),
    Func::run("sort", 1, N, text::sort),
    Func::run("uniq", 1, N, text::uniq),
    Func::run("padding", 4, n(4), text::padding),
    Func::run("to_string", 1, n(1), text::to_string),
    Func::run("to_number", 1, n(1), text::to_number),
    Func::run("to_bool", 1, n(1), text::to_bool),
    Func::run("dec_to_hex", 1, n(1), text::dec_to_hex),
    Func::run("hex_to_dec", 1, n(1), text::hex_to_dec),
    Func::run("oct_to_dec", 1, n(1), text::oct_to_dec),
    Func::run("bin_to_dec", 1, n(1), text::bin_to_dec),
    Func::run("print_debug", 1, N, text::print_debug),
    Func::run("json_minify", 1, n(1), text::json_minify),
    Func::run("json_prettify", 1, n(1), text::json_prettify),
    // encodings, hashes, compression
    Func::run("base64", 1, n(1), codec::base64),
    Func::run("base64_py", 1, n(1), codec::base64_py),
    Func::run("base64_decode", 1, n(1), codec::base64_decode),
    Func::run("url_encode", 1, n(2), codec::url_encode),
    Func::run("url_decode", 1, n(1), codec::url_decode),
    Func::run("hex_encode", 1, n(2), codec::hex_encode),
    Func::run("hex_decode", 1, n(1), codec::hex_decode),
    Func::run("html_escape", 1, n(2), codec::html_escape),
    Func::run("html_unescape", 1, n(1), codec::html_unescape),
    Func::run("md5", 1, n(1), codec::md5),
    Func::run("sha1", 1, n(1), codec::sha1),
    Func::run("sha256", 1, n(1), codec::sha256),
    Func::run("sha512", 1, n(1), codec::sha512),
    Func::run("mmh3", 1, n(1), codec::mmh3),
    Func::run("hmac", 3, n(3), codec::hmac),
    Func::run("gzip", 1, n(1), codec::gzip),
    Func::run("gzip_decode", 1, n(2), codec::gzip_decode),
    Func::run("zlib", 1, n(1), codec::zlib),
    Func::run("zlib_decode", 1, n(2), codec::zlib_decode),
    Func::run("deflate", 1, n(1), codec::deflate),
    Func::run("inflate", 1, n(2), codec::inflate),
    // randomness
    Func::run("rand_char", 0, n(1), random::rand_char),
    Func::run("rand_base", 1, n(3), random::rand_base),
    Func::run(
        "rand_text_alphanumeric",
        1,
        n(2),
        random::rand_text_alphanumeric,
    ),
    Func::run("rand_text_alpha", 1, n(2), random::rand_text_alpha),
    Func::run("rand_text_numeric", 1, n(2), random::rand_text_numeric),
    Func::run("rand_int", 0, n(2), random::rand_int),
    Func::run("rand_ip", 1, N, random::rand_ip),
    // time
    Func::run("unix_time", 0, n(1), time::unix_time),
    Func::run("date_time", 1, n(2), time::date_time),
    Func::run("to_unix_time", 1, n(2), time::to_unix_time),
    // versions
    Func::run("compare_versions", 2, N, versions::compare_versions),
    // known to nuclei, not run here
    Func::unsupported("jarm", "needs TLS handshakes with the target (network)"),
    Func::unsupported("public_ip", "needs a network lookup of this host's address"),
    Func::unsupported("wait_for", "sleeps inside evaluation"),
    Func::unsupported("llm_prompt", "needs a language model service"),
    Func::unsupported(
        "generate_java_gadget",
        "Java deserialization gadget generation",
    ),
    Func::unsupported(
        "generate_dotnet_gadget",
        ".NET deserialization gadget generation",
    ),
    Func::unsupported("generate_jwt", "JWT signing"),
    Func::unsupported("aes_cbc", "AES encryption"),
    Func::unsupported("aes_gcm", "AES encryption"),
    Func::unsupported("rsa_encrypt", "RSA encryption"),
    Func::unsupported("cookie_unsign", "signed-cookie verification"),
    Func::unsupported("zip", "zip archive generation"),
    Func::unsupported("gzip_mtime", "gzip header inspection"),
    Func::unsupported("ip_format", "IP address format conversion"),
    Func::unsupported("unpack", "binary unpacking"),
    Func::unsupported("xor", "byte-wise xor"),
    Func::unsupported("resolve", "needs DNS lookups (network)"),
];

fn registry() -> &'static HashMap<String, &'static Func> {
    static REG: OnceLock<HashMap<String, &'static Func>> = OnceLock::new();
    REG.get_or_init(|| {
        let mut m = HashMap::new();
        for f in FUNCS {
            m.insert(f.name.replace('_', ""), f);
        }
        for f in FUNCS {
            m.insert(f.name.to_string(), f);
        }
        m
    })
}

/// The helper of this name (canonical or without underscores).
pub fn lookup(name: &str) -> Option<&'static Func> {
    registry().get(name).copied()
}

/// The canonical names of all helpers, supported first.
pub fn names() -> impl Iterator<Item = (&'static str, Option<&'static str>)> {
    FUNCS.iter().map(|f| (f.name, f.unsupported_reason()))
}

/// Bytes of the argument's text form.
fn bytes_of(v: &Value) -> std::borrow::Cow<'_, [u8]> {
    v.as_bytes()
}

/// An integer argument, as the helpers' `toInt`.
fn int_arg(v: &Value, what: &str) -> Result<i64, String> {
    v.to_i64()
        .ok_or_else(|| format!("{what} must be a number, got {:?}", v.to_text()))
}

fn too_large() -> String {
    format!("result over {} bytes", super::MAX_VALUE_LEN)
}
