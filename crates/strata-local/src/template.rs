//! hashicorp/template: data `template_file`, rendered by strata-expr's
//! template evaluation (interpolations, `%{if}` / `%{for}` directives, strip
//! markers, built-in functions), with `vars` as the only names in scope.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use strata_core::{FileId, Value};
use strata_provider::ProviderError;

use crate::args::Object;
use crate::invalid;

/// The largest template read from `filename`.
const MAX_TEMPLATE: u64 = 1 << 20;

pub(crate) fn read_data(config: &Value) -> Result<Value, ProviderError> {
    let mut o = Object::new(config)?;
    let template = match (o.raw("template").filter(|t| !t.is_null()), o.string("filename")) {
        (Some(t), None) => t.clone(),
        (None, Some(path)) => {
            let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_TEMPLATE);
            if too_big {
                return Err(invalid(format!("{path} is larger than 1 MiB")));
            }
            Value::string(std::fs::read_to_string(path).map_err(|e| invalid(format!("cannot read {path}: {e}")))?)
        }
        _ => return Err(invalid("exactly one of template and filename must be set")),
    };
    let (template, secret_template) = template.unmark();
    let text = template.as_str().ok_or_else(|| invalid("template must be a string"))?;
    let vars: BTreeMap<String, Value> = o.raw("vars").and_then(|v| v.peel().as_map()).cloned().unwrap_or_default();
    let scope = vars;
    let ctx = strata_expr::ExprCtx { file: FileId(0), scope: &scope, module_dir: Path::new(".") };
    let rendered = strata_expr::eval_template_str(text, &ctx).map_err(|d| {
        // The messages name what failed (an unknown variable, a syntax
        // error), never a variable's value.
        let first = d.0.first().map_or_else(|| "the template is invalid".to_string(), |d| d.message.clone());
        invalid(format!("template_file: {first}"))
    })?;
    let (rendered, secret_result) = rendered.unmark();
    let rendered = rendered.to_template_string().ok_or_else(|| invalid("the template does not render to a string"))?;
    o.set("id", Value::string(hex::encode(Sha256::digest(rendered.as_bytes()))));
    o.set("rendered", Value::string(rendered).mark_if(secret_template || secret_result));
    Ok(o.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str, vars: &[(&str, &str)]) -> Result<Value, ProviderError> {
        let vars = Value::map(vars.iter().map(|(k, v)| (*k, Value::string(*v))));
        read_data(&Value::map([("template", Value::string(template)), ("vars", vars)]))
    }

    #[test]
    fn renders_with_directives_and_functions() {
        let v = render("Hello ${upper(who)}!%{ if who == \"moon\" } Goodnight.%{ endif }", &[("who", "moon")]).unwrap();
        assert_eq!(v.as_map().unwrap()["rendered"], Value::string("Hello MOON! Goodnight."));
        let v = render("$${literal}", &[]).unwrap();
        assert_eq!(v.as_map().unwrap()["rendered"], Value::string("${literal}"));
        assert!(render("${missing}", &[]).unwrap_err().message.contains("missing"));
    }

    #[test]
    fn a_sensitive_variable_marks_the_result_and_no_error_shows_it() {
        let vars = Value::map([("pw", Value::Sensitive(Box::new(Value::string("canary-pw"))))]);
        let v = read_data(&Value::map([("template", Value::string("pw=${pw}")), ("vars", vars.clone())])).unwrap();
        assert!(v.as_map().unwrap()["rendered"].is_sensitive());
        let e = read_data(&Value::map([("template", Value::string("${pw + 1}")), ("vars", vars)])).unwrap_err();
        assert!(!e.message.contains("canary-pw"), "{}", e.message);
    }
}
