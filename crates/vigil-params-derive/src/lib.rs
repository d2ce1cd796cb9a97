//! `#[derive(Params)]`: an action's parameter schema derived from the serde struct its handler
//! reads, so the schema that validates a request and that `vigil actions --json` prints is the
//! struct the handler gets. Wire names follow serde (`rename_all = "PascalCase"` on the
//! struct, `rename` on a field); a field is required unless it is an `Option` or has
//! `#[serde(default)]`; `Vec<T>` is a list, `String` a string, integers an integer (`IntText`
//! an integer also accepted as a decimal string), `bool` a
//! boolean, any other type an object with its own `Params`; `#[serde(flatten)]` splices the
//! inner struct's parameters in place. The description is the field's doc comment (or
//! `#[param(doc = CONST)]`); one check per field: `#[param(max_len = N)]`,
//! `#[param(max_items = N)]`, `#[param(range(LO, HI))]`, `#[param(one_of = [..])]`
//! (integers or strings, or the name of a `&[&str]` constant). `#[param(as_str)]` /
//! `#[param(as_int)]` declare a field whose own type reads from a string or an integer.
//! `#[param(skip)]` leaves out a field the wire never carries (bookkeeping of a struct that is
//! also stored; with `#[serde(default)]` a decoded request holds the default). The generated
//! code names `crate::params`, so the derive is for the gateway crate.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{quote, ToTokens};
use syn::{
    parse_macro_input, spanned::Spanned, Attribute, Data, DeriveInput, Expr, Fields,
    GenericArgument, LitStr, PathArguments, Type,
};

/// Derive `crate::params::Params` for a request struct (see the crate documentation).
#[proc_macro_derive(Params, attributes(param))]
pub fn derive_params(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// What a struct's `#[serde(...)]` says about naming and defaults.
#[derive(Default)]
struct SerdeContainer {
    pascal: bool,
    default: bool,
}

/// What a field's `#[serde(...)]` says.
#[derive(Default)]
struct SerdeField {
    rename: Option<String>,
    default: bool,
    flatten: bool,
    skip: bool,
}

/// A field's `#[param(...)]`.
#[derive(Default)]
struct ParamAttr {
    check: Option<Tokens>,
    doc: Option<Expr>,
    leaf: Option<Tokens>,
    skip: bool,
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "derive(Params) takes no generic parameters",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "derive(Params) is for structs",
        ));
    };
    let container = serde_container(&input.attrs)?;
    let fields = match &data.fields {
        Fields::Named(f) => f.named.iter().collect::<Vec<_>>(),
        Fields::Unit => Vec::new(),
        Fields::Unnamed(f) => {
            return Err(syn::Error::new(
                f.span(),
                "derive(Params) needs named fields",
            ))
        }
    };
    // Parts of the list: runs of own parameters and flattened structs' parameter lists.
    let mut parts: Vec<Tokens> = Vec::new();
    let mut run: Vec<Tokens> = Vec::new();
    for field in fields {
        let sf = serde_field(&field.attrs)?;
        let pa = param_attr(&field.attrs)?;
        if sf.skip || pa.skip {
            continue;
        }
        if sf.flatten {
            if !run.is_empty() {
                parts.push(quote!(&[#(#run),*]));
                run.clear();
            }
            let ty = &field.ty;
            parts.push(quote!(<#ty as crate::params::Params>::PARAMS));
            continue;
        }
        let ident = field
            .ident
            .as_ref()
            .ok_or_else(|| syn::Error::new(field.span(), "unnamed field"))?;
        let name = match sf.rename {
            Some(n) => n,
            None if container.pascal => pascal(&ident.to_string()),
            None => {
                return Err(syn::Error::new(
                    ident.span(),
                    "derive(Params) needs #[serde(rename_all = \"PascalCase\")] on the struct or #[serde(rename = ..)] on the field",
                ))
            }
        };
        let (inner, optional) = match option_inner(&field.ty) {
            Some(t) => (t, true),
            None => (&field.ty, false),
        };
        let required = !(optional || sf.default || container.default);
        let ty = ty_tokens(inner, pa.leaf.as_ref())?;
        let doc = match pa.doc {
            Some(e) => e.into_token_stream(),
            None => {
                let text = doc_text(&field.attrs);
                if text.is_empty() {
                    return Err(syn::Error::new(
                        ident.span(),
                        "a parameter needs a doc comment (its description)",
                    ));
                }
                LitStr::new(&text, ident.span()).into_token_stream()
            }
        };
        let check = pa
            .check
            .unwrap_or_else(|| quote!(crate::params::Check::None));
        run.push(quote! {
            crate::params::Param { name: #name, ty: #ty, required: #required, check: #check, doc: #doc }
        });
    }
    let name = &input.ident;
    let body = if parts.is_empty() {
        quote!(&[#(#run),*])
    } else {
        if !run.is_empty() {
            parts.push(quote!(&[#(#run),*]));
        }
        quote! {{
            const PARTS: &[&[crate::params::Param]] = &[#(#parts),*];
            const ALL: [crate::params::Param; crate::params::total_len(PARTS)] =
                crate::params::concat(PARTS);
            &ALL
        }}
    };
    Ok(quote! {
        impl crate::params::Params for #name {
            const PARAMS: &'static [crate::params::Param] = #body;
        }
    })
}

/// `task_name` -> `TaskName`, as serde's `PascalCase` renames snake_case fields.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect()
}

fn doc_text(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &a.meta {
            if let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                lines.push(s.value().trim().to_string());
            }
        }
    }
    lines.join(" ").trim().to_string()
}

fn serde_container(attrs: &[Attribute]) -> syn::Result<SerdeContainer> {
    let mut out = SerdeContainer::default();
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        a.parse_nested_meta(|m| {
            if m.path.is_ident("rename_all") {
                let v: LitStr = m.value()?.parse()?;
                out.pascal = v.value() == "PascalCase";
            } else if m.path.is_ident("default") {
                out.default = true;
                if m.input.peek(syn::Token![=]) {
                    let _: Expr = m.value()?.parse()?;
                }
            } else {
                skip_value(&m)?;
            }
            Ok(())
        })?;
    }
    Ok(out)
}

fn serde_field(attrs: &[Attribute]) -> syn::Result<SerdeField> {
    let mut out = SerdeField::default();
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        a.parse_nested_meta(|m| {
            if m.path.is_ident("rename") {
                let v: LitStr = m.value()?.parse()?;
                out.rename = Some(v.value());
            } else if m.path.is_ident("default") {
                out.default = true;
                if m.input.peek(syn::Token![=]) {
                    let _: Expr = m.value()?.parse()?;
                }
            } else if m.path.is_ident("flatten") {
                out.flatten = true;
            } else if m.path.is_ident("skip") || m.path.is_ident("skip_deserializing") {
                out.skip = true;
            } else {
                skip_value(&m)?;
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// Consume `= value` or `(...)` of a serde option this derive does not read.
fn skip_value(m: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if m.input.peek(syn::Token![=]) {
        let _: Expr = m.value()?.parse()?;
    } else if m.input.peek(syn::token::Paren) {
        m.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

fn param_attr(attrs: &[Attribute]) -> syn::Result<ParamAttr> {
    let mut out = ParamAttr::default();
    for a in attrs.iter().filter(|a| a.path().is_ident("param")) {
        a.parse_nested_meta(|m| {
            let mut set_check = |t: Tokens| {
                if out.check.replace(t).is_some() {
                    return Err(m.error("one check per parameter"));
                }
                Ok(())
            };
            if m.path.is_ident("max_len") {
                let e: Expr = m.value()?.parse()?;
                set_check(quote!(crate::params::Check::MaxLen(#e)))
            } else if m.path.is_ident("max_items") {
                let e: Expr = m.value()?.parse()?;
                set_check(quote!(crate::params::Check::MaxItems(#e)))
            } else if m.path.is_ident("range") {
                let content;
                syn::parenthesized!(content in m.input);
                let bounds = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated(
                    &content,
                )?;
                let b: Vec<&Expr> = bounds.iter().collect();
                let [lo, hi] = b.as_slice() else {
                    return Err(m.error("range(LO, HI)"));
                };
                set_check(quote!(crate::params::Check::Range(#lo, #hi)))
            } else if m.path.is_ident("one_of") {
                let e: Expr = m.value()?.parse()?;
                if let Expr::Path(_) = &e {
                    return set_check(quote!(crate::params::Check::OneOfStr(#e)));
                }
                let Expr::Array(arr) = &e else {
                    return Err(m.error("one_of = [values] or one_of = STRINGS_CONST"));
                };
                let strings = arr.elems.iter().all(|v| {
                    matches!(
                        v,
                        Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(_),
                            ..
                        })
                    )
                });
                if strings {
                    set_check(quote!(crate::params::Check::OneOfStr(&#e)))
                } else {
                    set_check(quote!(crate::params::Check::OneOfInt(&#e)))
                }
            } else if m.path.is_ident("doc") {
                out.doc = Some(m.value()?.parse()?);
                Ok(())
            } else if m.path.is_ident("as_str") {
                out.leaf = Some(quote!(crate::params::Ty::Str));
                Ok(())
            } else if m.path.is_ident("as_int") {
                out.leaf = Some(quote!(crate::params::Ty::Int));
                Ok(())
            } else if m.path.is_ident("skip") {
                out.skip = true;
                Ok(())
            } else {
                Err(m.error(
                    "unknown param option (max_len, max_items, range, one_of, doc, as_str, as_int, skip)",
                ))
            }
        })?;
    }
    Ok(out)
}

/// The single generic argument of `Wrapper<T>` when the type's last segment is `wrapper`.
fn generic_of<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != wrapper {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(t)) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

fn option_inner(ty: &Type) -> Option<&Type> {
    generic_of(ty, "Option")
}

fn ty_tokens(ty: &Type, leaf: Option<&Tokens>) -> syn::Result<Tokens> {
    if let Some(inner) = generic_of(ty, "Vec") {
        let inner = ty_tokens(inner, leaf)?;
        return Ok(quote!(crate::params::Ty::List(&#inner)));
    }
    if let Some(l) = leaf {
        return Ok(l.clone());
    }
    let Type::Path(p) = ty else {
        return Err(syn::Error::new(ty.span(), "unsupported parameter type"));
    };
    let last = p
        .path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    Ok(match last.as_str() {
        "String" => quote!(crate::params::Ty::Str),
        "IntText" => quote!(crate::params::Ty::IntText),
        "bool" => quote!(crate::params::Ty::Bool),
        "i64" | "i32" | "i16" | "i8" | "u64" | "u32" | "u16" | "u8" | "usize" | "isize" => {
            quote!(crate::params::Ty::Int)
        }
        "Value" | "Option" | "HashMap" | "BTreeMap" => {
            return Err(syn::Error::new(
                ty.span(),
                "a parameter needs a typed struct, a list, a string, an integer or a boolean",
            ))
        }
        _ => quote!(crate::params::Ty::Obj(<#ty as crate::params::Params>::PARAMS)),
    })
}
