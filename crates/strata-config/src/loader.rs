//! Loading: files of a directory → parsed bodies → a [`Module`]; module
//! calls → child modules, recursively.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use strata_core::{Diagnostic, Diagnostics, FileId, Mode, SourceMap, Span, did_you_mean};

use crate::model::*;

/// A loaded configuration: the root module, every module it calls
/// (recursively), and the text of every file for diagnostics.
#[derive(Debug)]
pub struct Config {
    pub sources: SourceMap,
    /// All modules; index 0 is the root.
    pub modules: Vec<Module>,
    /// For each module, its calls' child module indices by call name.
    pub children: Vec<BTreeMap<String, usize>>,
    /// The root directory as given.
    pub root_dir: PathBuf,
}

impl Config {
    pub fn root(&self) -> &Module {
        &self.modules[0]
    }

    /// Whether the resource block of an instance declares conditions of this kind.
    pub fn has_conditions(&self, addr: &strata_core::Address, kind: ConditionKind) -> bool {
        let mut m = 0;
        for step in &addr.module.0 {
            match self.children.get(m).and_then(|c| c.get(&step.name)) {
                Some(&child) => m = child,
                None => return false,
            }
        }
        let key = match addr.mode {
            Mode::Managed => format!("{}.{}", addr.ty, addr.name),
            Mode::Data => format!("data.{}.{}", addr.ty, addr.name),
        };
        self.modules.get(m).and_then(|module| module.resources.get(&key)).is_some_and(|r| match kind {
            ConditionKind::Precondition => !r.preconditions.is_empty(),
            ConditionKind::Postcondition => !r.postconditions.is_empty(),
            ConditionKind::Assert => false,
        })
    }
}

/// The deepest module nesting accepted (guards against a module that calls itself).
const MAX_MODULE_DEPTH: usize = 32;

/// Load the configuration in `dir` and every module it calls. Reports every
/// problem found; `Config` is returned even with errors so that callers can
/// render the diagnostics with its source map.
pub fn load(dir: &Path) -> (Config, Diagnostics) {
    load_with(dir, None)
}

/// Like [`load`], but the root module's files are given in memory (fuzzing,
/// tests); called modules are still read from `dir`.
pub fn load_sources(dir: &Path, files: &[(&str, &str)]) -> (Config, Diagnostics) {
    let files = files.iter().map(|(name, text)| (dir.join(name), text.to_string())).collect();
    load_with(dir, Some(files))
}

fn load_with(dir: &Path, root_files: Option<Vec<(PathBuf, String)>>) -> (Config, Diagnostics) {
    let mut loader =
        Loader { sources: SourceMap::new(), modules: Vec::new(), children: Vec::new(), diags: Diagnostics::new(), total_bytes: 0 };
    let root = loader.load_module(dir, None, &mut Vec::new(), root_files);
    if root.is_none() {
        // Keep index 0 valid for callers even when the directory could not be read.
        loader.modules.insert(0, Module { dir: dir.to_path_buf(), ..Module::default() });
        loader.children.insert(0, BTreeMap::new());
    }
    let Loader { sources, modules, children, mut diags, .. } = loader;
    diags.sort();
    (Config { sources, modules, children, root_dir: dir.to_path_buf() }, diags)
}

/// The largest configuration file strata reads: far above any written by
/// hand or generated for real use, and small enough to parse in about a second.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// The largest total size of the files of one configuration, modules included.
pub const MAX_CONFIG_BYTES: u64 = 64 << 20;

struct Loader {
    sources: SourceMap,
    modules: Vec<Module>,
    children: Vec<BTreeMap<String, usize>>,
    diags: Diagnostics,
    /// Bytes of configuration read so far, against [`MAX_CONFIG_BYTES`].
    total_bytes: u64,
}

impl Loader {
    /// The error for a file of `size` bytes past [`MAX_FILE_BYTES`], or past
    /// what is left of [`MAX_CONFIG_BYTES`]; otherwise counts it in the total.
    fn too_large(&mut self, path: &Path, size: u64) -> Option<Diagnostic> {
        let mib = |b: u64| format!("{:.1} MiB", b as f64 / f64::from(1 << 20));
        if size > MAX_FILE_BYTES {
            return Some(
                Diagnostic::error(
                    "strata::config::file_too_large",
                    format!("configuration file {} is {}, more than the {} strata reads", path.display(), mib(size), mib(MAX_FILE_BYTES)),
                )
                .with_help("split it into several files, or keep large data out of HCL (a JSON file read with jsondecode(file(...)))"),
            );
        }
        self.total_bytes += size;
        if self.total_bytes > MAX_CONFIG_BYTES {
            return Some(
                Diagnostic::error(
                    "strata::config::file_too_large",
                    format!("the configuration's files add up to more than {}; {} is not read", mib(MAX_CONFIG_BYTES), path.display()),
                )
                .with_help("a configuration of this size is most likely generated by mistake; keep large data out of HCL"),
            );
        }
        None
    }

    /// Loads one module directory; returns its index.
    fn load_module(
        &mut self,
        dir: &Path,
        called_from: Option<Span>,
        stack: &mut Vec<PathBuf>,
        preset: Option<Vec<(PathBuf, String)>>,
    ) -> Option<usize> {
        let listed = match preset {
            Some(files) => Ok(files.into_iter().map(|(p, t)| (p, Some(t))).collect::<Vec<_>>()),
            None => list_config_files(dir).map(|files| files.into_iter().map(|p| (p, None)).collect()),
        };
        let files = match listed {
            Ok(files) => files,
            Err(e) => {
                let (code, msg) = if called_from.is_some() {
                    ("strata::config::module_not_found", format!("cannot read module directory {}: {e}", dir.display()))
                } else {
                    ("strata::config::no_configuration", format!("cannot read configuration directory {}: {e}", dir.display()))
                };
                self.diags.push(Diagnostic::error(code, msg).with_label(called_from, "module source here"));
                return None;
            }
        };
        if files.is_empty() {
            let code = if called_from.is_some() { "strata::config::module_not_found" } else { "strata::config::no_configuration" };
            self.diags.push(
                Diagnostic::error(code, format!("no *.tf or *.hcl files in {}", dir.display()))
                    .with_label(called_from, "module source here")
                    .with_help("strata loads every *.tf and *.hcl file of a directory (not recursively)"),
            );
            return None;
        }
        let mut module = Module { dir: dir.to_path_buf(), ..Module::default() };
        for (path, preset_text) in files {
            let size = match &preset_text {
                Some(t) => Ok(t.len() as u64),
                None => std::fs::metadata(&path).map(|m| m.len()),
            };
            if let Ok(size) = size
                && let Some(d) = self.too_large(&path, size)
            {
                self.diags.push(d);
                continue;
            }
            let text = match preset_text.map_or_else(|| std::fs::read_to_string(&path), Ok) {
                Ok(t) => t,
                Err(e) => {
                    self.diags.push(Diagnostic::error("strata::config::unreadable_file", format!("cannot read {}: {e}", path.display())));
                    continue;
                }
            };
            let file = self.sources.add(&path, display_name(&path), text.as_str());
            match hcl_edit::parser::parse_body(&text) {
                Ok(body) => self.read_body(file, body, &mut module, called_from.is_none()),
                Err(e) => self.diags.push(syntax_error(file, &text, &e)),
            }
        }
        let idx = self.modules.len();
        self.modules.push(Module::default());
        self.children.push(BTreeMap::new());

        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        stack.push(canonical);
        let calls: Vec<(String, String, Span)> =
            module.module_calls.values().map(|c| (c.name.clone(), c.source.clone(), c.source_span.clone())).collect();
        for (name, source, span) in calls {
            if !(source.starts_with("./") || source.starts_with("../") || source.starts_with('/')) {
                self.diags.push(
                    Diagnostic::error("strata::config::unsupported_module_source", format!("module source {source:?} is not a local path"))
                        .with_label(Some(span), "not a local path")
                        .with_help(
                            "strata loads modules from local paths starting with ./ or ../; vendor registry modules into the repository",
                        ),
                );
                continue;
            }
            let child_dir = normalize(&dir.join(&source));
            let child_canonical = child_dir.canonicalize().unwrap_or_else(|_| child_dir.clone());
            if stack.contains(&child_canonical) || stack.len() >= MAX_MODULE_DEPTH {
                self.diags.push(
                    Diagnostic::error(
                        "strata::config::module_recursion",
                        format!("module `{name}` calls a module that is already being loaded"),
                    )
                    .with_label(Some(span), "this source leads back to an enclosing module"),
                );
                continue;
            }
            if let Some(child) = self.load_module(&child_dir, Some(span), stack, None) {
                // An input the child does not declare would be dropped.
                let declared = &self.modules[child].variables;
                for (input, (input_span, _)) in &module.module_calls[&name].inputs {
                    if !declared.contains_key(input) {
                        let mut d = Diagnostic::error(
                            "strata::config::unsupported_attribute",
                            format!("module `{name}` declares no variable `{input}`"),
                        )
                        .with_label(Some(input_span.clone()), "not a variable of the module");
                        d = match did_you_mean(input, declared.keys()) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!("declare `variable \"{input}\" {{}}` in the module, or remove this argument")),
                        };
                        self.diags.push(d);
                    }
                }
                self.children[idx].insert(name, child);
            }
        }
        stack.pop();
        self.modules[idx] = module;
        Some(idx)
    }

    fn read_body(&mut self, file: FileId, body: Body, module: &mut Module, is_root: bool) {
        for structure in body {
            match structure {
                Structure::Attribute(attr) => {
                    self.diags.push(
                        Diagnostic::error("strata::config::unexpected_attribute", format!("unexpected top-level attribute `{}`", attr.key.as_str()))
                            .with_label(span_of(file, &attr), "attributes belong inside a block")
                            .with_help("top-level items are blocks: resource, data, variable, locals, output, module, provider, terraform, strata, moved"),
                    );
                }
                Structure::Block(block) => self.read_block(file, block, module, is_root),
            }
        }
    }

    fn read_block(&mut self, file: FileId, block: Block, module: &mut Module, is_root: bool) {
        let kind = block.ident.as_str().to_string();
        let header = header_span(file, &block);
        let labels: Vec<String> = block.labels.iter().map(|l| l.as_str().to_string()).collect();
        let want = match kind.as_str() {
            "resource" | "data" => 2,
            "variable" | "output" | "module" | "provider" | "check" => 1,
            "locals" | "terraform" | "strata" | "moved" => 0,
            "import" | "removed" => {
                let help = if kind == "import" {
                    "import an existing object with `strata import ADDRESS ID`"
                } else {
                    "strata cannot forget an object without destroying it: keep the resource in the configuration, or remove it to destroy its object"
                };
                self.diags.push(
                    Diagnostic::error("strata::config::unsupported_block", format!("`{kind}` blocks are not supported"))
                        .with_label(Some(header), "not supported by strata")
                        .with_help(help),
                );
                return;
            }
            _ => {
                let known =
                    ["resource", "data", "variable", "locals", "output", "module", "provider", "terraform", "strata", "moved", "check"];
                let mut d = Diagnostic::error("strata::config::unsupported_block", format!("unsupported block type `{kind}`"))
                    .with_label(Some(header), "not a top-level block strata knows");
                d = match did_you_mean(&kind, known) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("top-level blocks are: {}", known.join(", "))),
                };
                self.diags.push(d);
                return;
            }
        };
        if labels.len() != want {
            self.diags.push(
                Diagnostic::error(
                    "strata::config::block_labels",
                    format!("a `{kind}` block takes {want} label(s), found {}", labels.len()),
                )
                .with_label(Some(header), "wrong number of labels"),
            );
            return;
        }
        match kind.as_str() {
            "resource" | "data" => {
                let mode = if kind == "resource" { Mode::Managed } else { Mode::Data };
                self.read_resource(file, block, header, mode, module);
            }
            "variable" => self.read_variable(file, block, header, module),
            "locals" => {
                for s in block.body {
                    match s {
                        Structure::Attribute(a) => {
                            let name = a.key.as_str().to_string();
                            let span = span_of(file, &a).unwrap_or_else(|| header.clone());
                            if let Some(prev) = module.locals.get(&name) {
                                self.duplicate(&format!("local.{name}"), span, prev.span.clone());
                                continue;
                            }
                            module.locals.insert(name.clone(), Local { name, span, value: Expr { file, expr: a.value } });
                        }
                        Structure::Block(b) => self.unexpected_block(file, &b, "locals"),
                    }
                }
            }
            "output" => self.read_output(file, block, header, module),
            "module" => self.read_module_call(file, block, header, module),
            "provider" => self.read_provider(file, block, header, &labels[0], module, is_root),
            "terraform" => {
                crate::audit::terraform_block(file, &block, &mut self.diags);
                self.read_configuration_aliases(file, &block.body, module);
            }
            "check" => self.read_check(file, block, header, module),
            "strata" => {
                if !is_root {
                    self.diags.push(
                        Diagnostic::warning("strata::config::settings_in_module", "a `strata` block in a called module is ignored")
                            .with_label(Some(header), "ignored here"),
                    );
                } else if let Some(prev) = &module.settings {
                    self.duplicate("strata", header, prev.span.clone());
                } else {
                    module.settings = Some(SettingsBlock { span: header, file, body: block.body });
                }
            }
            "moved" => {
                for s in block.body.iter() {
                    match s {
                        Structure::Attribute(a) if matches!(a.key.as_str(), "from" | "to") => {}
                        Structure::Attribute(a) => {
                            let key = a.key.as_str().to_string();
                            self.unsupported_attr(file, a, &key, &["from", "to"], "moved");
                        }
                        Structure::Block(b) => self.unexpected_block(file, b, "moved"),
                    }
                }
                let from = block.body.get_attribute("from").map(|a| Expr { file, expr: a.value.clone() });
                let to = block.body.get_attribute("to").map(|a| Expr { file, expr: a.value.clone() });
                match (from, to) {
                    (Some(from), Some(to)) => module.moved.push(Moved { from, to, span: header }),
                    _ => self.diags.push(
                        Diagnostic::error("strata::config::missing_attribute", "a `moved` block needs both `from` and `to`")
                            .with_label(Some(header), "incomplete moved block"),
                    ),
                }
            }
            _ => {}
        }
    }

    fn read_resource(&mut self, file: FileId, block: Block, header: Span, mode: Mode, module: &mut Module) {
        let ty = block.labels[0].as_str().to_string();
        let name = block.labels[1].as_str().to_string();
        let type_span = block.labels[0].span().map_or_else(|| header.clone(), |r| Span::new(file, r));
        if !is_valid_name(&name) {
            self.diags.push(
                Diagnostic::error("strata::config::invalid_name", format!("invalid resource name {name:?}"))
                    .with_label(block.labels[1].span().map(|r| Span::new(file, r)), "not a valid name")
                    .with_help("names start with a letter or underscore and contain letters, digits, underscores and dashes"),
            );
        }
        let mut res = Resource {
            mode,
            ty,
            name,
            file,
            span: header.clone(),
            type_span,
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            provider: None,
            layer: None,
            lifecycle: LifecycleBlock::default(),
            preconditions: Vec::new(),
            postconditions: Vec::new(),
            body: Body::new(),
        };
        let mut body = Body::new();
        for s in block.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "count" => res.count = Some(Expr { file, expr: a.value }),
                    "for_each" => res.for_each = Some(Expr { file, expr: a.value }),
                    "depends_on" => res.depends_on = self.depends_on(file, a),
                    "layer" if mode == Mode::Data => self.diags.push(
                        Diagnostic::warning("strata::config::data_layer_ignored", "`layer` has no effect on a data source")
                            .with_label(span_of(file, &a), "ignored")
                            .with_help("layers order managed resources; a data source is read when what it refers to is known"),
                    ),
                    "layer" => res.layer = Some(Expr { file, expr: a.value }),
                    "provider" => res.provider = self.provider_ref(file, &a.value),
                    _ => body.push(a),
                },
                Structure::Block(b) if b.ident.as_str() == "lifecycle" => {
                    for s in b.body {
                        match s {
                            Structure::Attribute(a) if mode == Mode::Data => {
                                self.diags.push(
                                    Diagnostic::error(
                                        "strata::config::unsupported_attribute",
                                        format!("a data source's `lifecycle` takes no `{}`", a.key.as_str()),
                                    )
                                    .with_label(span_of(file, &a), "not for data sources")
                                    .with_help("a data source's lifecycle block takes only `precondition` and `postcondition` blocks"),
                                );
                            }
                            Structure::Attribute(a) => match a.key.as_str() {
                                "create_before_destroy" => res.lifecycle.create_before_destroy = Some(Expr { file, expr: a.value }),
                                "prevent_destroy" => res.lifecycle.prevent_destroy = Some(Expr { file, expr: a.value }),
                                "ignore_changes" => res.lifecycle.ignore_changes = Some(Expr { file, expr: a.value }),
                                "replace_triggered_by" => self.diags.push(
                                    Diagnostic::warning(
                                        "strata::config::replace_triggered_by_ignored",
                                        "`replace_triggered_by` is not supported: changes to what it names do not replace this resource",
                                    )
                                    .with_label(span_of(file, &a), "ignored")
                                    .with_help("replace the resource when needed with `strata apply --replace ADDRESS`"),
                                ),
                                other => {
                                    let names = ["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"];
                                    let mut d = Diagnostic::error(
                                        "strata::config::unsupported_attribute",
                                        format!("unsupported lifecycle argument `{other}`"),
                                    )
                                    .with_label(span_of(file, &a), "not a lifecycle argument");
                                    if let Some(s) = did_you_mean(other, names) {
                                        d = d.with_help(format!("did you mean `{s}`?"));
                                    }
                                    self.diags.push(d);
                                }
                            },
                            Structure::Block(inner) if inner.ident.as_str() == "precondition" => {
                                if let Some(c) = self.read_condition(file, inner) {
                                    res.preconditions.push(c);
                                }
                            }
                            Structure::Block(inner) if inner.ident.as_str() == "postcondition" => {
                                if let Some(c) = self.read_condition(file, inner) {
                                    res.postconditions.push(c);
                                }
                            }
                            Structure::Block(inner) => self.unexpected_block(file, &inner, "lifecycle"),
                        }
                    }
                }
                Structure::Block(b) if matches!(b.ident.as_str(), "provisioner" | "connection") => {
                    self.diags.push(
                        Diagnostic::warning(
                            "strata::config::provisioner_ignored",
                            format!("strata does not run provisioners: `{}` block ignored", b.ident.as_str()),
                        )
                        .with_label(Some(header_span(file, &b)), "ignored")
                        .with_help("bake software into images or pass it through user_data; provisioners are not part of the plan"),
                    );
                }
                Structure::Block(b) if mode == Mode::Data && b.ident.as_str() == "timeouts" => self.diags.push(
                    Diagnostic::warning("strata::config::ignored_block", "`timeouts` has no effect on a data source")
                        .with_label(Some(header_span(file, &b)), "ignored")
                        .with_help("data sources are read with the provider's retries; remove the block"),
                ),
                Structure::Block(b) => body.push(b),
            }
        }
        res.body = body;
        let key = res.key();
        if let Some(prev) = module.resources.get(&key) {
            self.duplicate(&key, header, prev.span.clone());
            return;
        }
        module.resources.insert(key, res);
    }

    fn depends_on(&mut self, file: FileId, a: Attribute) -> Vec<Expr> {
        match a.value {
            Expression::Array(items) => items.into_iter().map(|expr| Expr { file, expr }).collect(),
            other => {
                self.diags.push(
                    Diagnostic::error("strata::config::invalid_depends_on", "`depends_on` must be a list of resource or module references")
                        .with_label(hcl_edit::Span::span(&other).map(|r| Span::new(file, r)), "not a list")
                        .with_help("write `depends_on = [aws_vpc.main, module.network]`"),
                );
                Vec::new()
            }
        }
    }

    fn read_variable(&mut self, file: FileId, block: Block, header: Span, module: &mut Module) {
        let name = block.labels[0].as_str().to_string();
        let mut var = Variable {
            name: name.clone(),
            span: header.clone(),
            type_expr: None,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
        };
        for s in block.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "type" => var.type_expr = Some(Expr { file, expr: a.value }),
                    "default" => var.default = Some(Expr { file, expr: a.value }),
                    "description" => var.description = a.value.as_str().map(str::to_string),
                    "sensitive" => var.sensitive = self.literal_bool(file, &a),
                    "nullable" => var.nullable = self.literal_bool(file, &a),
                    "ephemeral" => self.ephemeral_ignored(file, &a, "variable"),
                    other => self.unsupported_attr(
                        file,
                        &a,
                        other,
                        &["type", "default", "description", "sensitive", "nullable", "validation"],
                        "variable",
                    ),
                },
                Structure::Block(b) if b.ident.as_str() == "validation" => {
                    let span = header_span(file, &b);
                    let cond = b.body.get_attribute("condition").map(|a| Expr { file, expr: a.value.clone() });
                    let msg = b.body.get_attribute("error_message").map(|a| Expr { file, expr: a.value.clone() });
                    match (cond, msg) {
                        (Some(condition), Some(error_message)) => var.validations.push(Validation { condition, error_message, span }),
                        _ => self.diags.push(
                            Diagnostic::error(
                                "strata::config::missing_attribute",
                                "a `validation` block needs `condition` and `error_message`",
                            )
                            .with_label(Some(span), "incomplete validation"),
                        ),
                    }
                }
                Structure::Block(b) => self.unexpected_block(file, &b, "variable"),
            }
        }
        if let Some(prev) = module.variables.get(&name) {
            self.duplicate(&format!("var.{name}"), header, prev.span.clone());
            return;
        }
        module.variables.insert(name, var);
    }

    fn read_output(&mut self, file: FileId, block: Block, header: Span, module: &mut Module) {
        let name = block.labels[0].as_str().to_string();
        let mut out = Output {
            name: name.clone(),
            span: header.clone(),
            value: None,
            description: None,
            sensitive: false,
            depends_on: Vec::new(),
            preconditions: Vec::new(),
        };
        for s in block.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "value" => out.value = Some(Expr { file, expr: a.value }),
                    "description" => out.description = a.value.as_str().map(str::to_string),
                    "sensitive" => out.sensitive = self.literal_bool(file, &a),
                    "depends_on" => out.depends_on = self.depends_on(file, a),
                    "ephemeral" => self.ephemeral_ignored(file, &a, "output"),
                    other => self.unsupported_attr(file, &a, other, &["value", "description", "sensitive", "depends_on"], "output"),
                },
                Structure::Block(b) if b.ident.as_str() == "precondition" => {
                    if let Some(c) = self.read_condition(file, b) {
                        out.preconditions.push(c);
                    }
                }
                Structure::Block(b) => self.unexpected_block(file, &b, "output"),
            }
        }
        if out.value.is_none() {
            self.diags.push(
                Diagnostic::error("strata::config::missing_attribute", format!("output `{name}` has no `value`"))
                    .with_label(Some(header.clone()), "missing value"),
            );
        }
        if let Some(prev) = module.outputs.get(&name) {
            self.duplicate(&format!("output.{name}"), header, prev.span.clone());
            return;
        }
        module.outputs.insert(name, out);
    }

    fn read_module_call(&mut self, file: FileId, block: Block, header: Span, module: &mut Module) {
        let name = block.labels[0].as_str().to_string();
        let mut call = ModuleCall {
            name: name.clone(),
            span: header.clone(),
            source: String::new(),
            source_span: header.clone(),
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            inputs: BTreeMap::new(),
            providers: Vec::new(),
        };
        let mut has_source = false;
        for s in block.body {
            match s {
                Structure::Attribute(a) => {
                    let span = span_of(file, &a).unwrap_or_else(|| header.clone());
                    match a.key.as_str() {
                        "source" => match a.value.as_str() {
                            Some(src) => {
                                call.source = src.to_string();
                                call.source_span = hcl_edit::Span::span(&a.value).map_or(span, |r| Span::new(file, r));
                                has_source = true;
                            }
                            None => self.diags.push(
                                Diagnostic::error("strata::config::invalid_module_source", "module `source` must be a literal string")
                                    .with_label(Some(span), "not a literal string"),
                            ),
                        },
                        "version" => self.diags.push(
                            Diagnostic::warning(
                                "strata::config::module_version_ignored",
                                "a module's `version` is not used: strata loads modules from local paths",
                            )
                            .with_label(Some(span), "ignored")
                            .with_help("remove `version`; the module's files are read from `source`"),
                        ),
                        "providers" => call.providers = self.read_providers_map(file, &a.value, span),
                        "count" => call.count = Some(Expr { file, expr: a.value }),
                        "for_each" => call.for_each = Some(Expr { file, expr: a.value }),
                        "depends_on" => call.depends_on = self.depends_on(file, a),
                        key => {
                            call.inputs.insert(key.to_string(), (span, Expr { file, expr: a.value }));
                        }
                    }
                }
                Structure::Block(b) => self.unexpected_block(file, &b, "module"),
            }
        }
        if !has_source {
            self.diags.push(
                Diagnostic::error("strata::config::missing_attribute", format!("module `{name}` has no `source`"))
                    .with_label(Some(header.clone()), "missing source")
                    .with_help("set `source = \"./modules/NAME\"`"),
            );
            return;
        }
        if let Some(prev) = module.module_calls.get(&name) {
            self.duplicate(&format!("module.{name}"), header, prev.span.clone());
            return;
        }
        module.module_calls.insert(name, call);
    }

    /// `precondition`, `postcondition` or `assert`: `condition` and `error_message`.
    fn read_condition(&mut self, file: FileId, block: Block) -> Option<Condition> {
        let span = header_span(file, &block);
        let kind = block.ident.as_str().to_string();
        let (mut condition, mut error_message) = (None, None);
        for s in block.body {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "condition" => condition = Some(Expr { file, expr: a.value }),
                    "error_message" => error_message = Some(Expr { file, expr: a.value }),
                    other => self.unsupported_attr(file, &a, other, &["condition", "error_message"], &kind),
                },
                Structure::Block(b) => self.unexpected_block(file, &b, &kind),
            }
        }
        match (condition, error_message) {
            (Some(condition), Some(error_message)) => Some(Condition { condition, error_message, span }),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "strata::config::missing_attribute",
                        format!("a `{kind}` block needs `condition` and `error_message`"),
                    )
                    .with_label(Some(span), format!("incomplete {kind}"))
                    .with_help("write `condition = <bool expression>` and `error_message = \"...\"`"),
                );
                None
            }
        }
    }

    /// `check "NAME" { assert { ... } }`.
    fn read_check(&mut self, file: FileId, block: Block, header: Span, module: &mut Module) {
        let name = block.labels[0].as_str().to_string();
        let mut check = Check { name: name.clone(), span: header.clone(), asserts: Vec::new() };
        for s in block.body {
            match s {
                Structure::Block(b) if b.ident.as_str() == "assert" => {
                    if let Some(c) = self.read_condition(file, b) {
                        check.asserts.push(c);
                    }
                }
                Structure::Block(b) if b.ident.as_str() == "data" => self.diags.push(
                    Diagnostic::error("strata::config::unsupported_block", "data sources scoped to a `check` block are not supported")
                        .with_label(Some(header_span(file, &b)), "not supported")
                        .with_help("declare the data source at the top level and refer to it from the assertion"),
                ),
                Structure::Block(b) => self.unexpected_block(file, &b, "check"),
                Structure::Attribute(a) => {
                    let key = a.key.as_str().to_string();
                    self.unsupported_attr(file, &a, &key, &["assert"], "check");
                }
            }
        }
        if check.asserts.is_empty() {
            self.diags.push(
                Diagnostic::error("strata::config::missing_attribute", format!("check `{name}` has no `assert` block"))
                    .with_label(Some(header.clone()), "nothing to check"),
            );
        }
        if let Some(prev) = module.checks.iter().find(|c| c.name == name) {
            self.duplicate(&format!("check.{name}"), header, prev.span.clone());
            return;
        }
        module.checks.push(check);
    }

    fn ephemeral_ignored(&mut self, file: FileId, a: &Attribute, block: &str) {
        if a.value.as_bool() == Some(false) {
            return;
        }
        self.diags.push(
            Diagnostic::warning("strata::config::ephemeral_ignored", format!("`ephemeral` of a `{block}` is not supported"))
                .with_label(span_of(file, a), "ignored")
                .with_help("strata records values in its state; mark secrets `sensitive = true` so that they are never shown"),
        );
    }

    fn read_provider(&mut self, file: FileId, block: Block, header: Span, name: &str, module: &mut Module, is_root: bool) {
        if !is_root {
            self.diags.push(
                Diagnostic::error(
                    "strata::config::provider_in_module",
                    format!("a `provider \"{name}\"` block in a called module is not supported"),
                )
                .with_label(Some(header), "provider configurations belong in the root module")
                .with_help(format!(
                    "configure it in the root module and pass it in with `providers = {{ {name} = {name}.ALIAS }}` in the module block"
                )),
            );
            return;
        }
        crate::audit::provider_block(file, &block, is_root, &mut self.diags);
        let mut alias = None;
        let mut alias_span = None;
        if let Some(a) = block.body.get_attribute("alias") {
            let span = hcl_edit::Span::span(&a.value).map(|r| Span::new(file, r));
            match a.value.as_str() {
                Some(s) if is_valid_name(s) => alias = Some(s.to_string()),
                _ => self.diags.push(
                    Diagnostic::error("strata::config::invalid_provider_alias", "a provider `alias` must be a literal name")
                        .with_label(span.clone(), "not a literal name")
                        .with_help("write `alias = \"west\"` and refer to it as `aws.west`"),
                ),
            }
            alias_span = span;
        }
        if let Some(prev) = module.providers.iter().find(|p| p.name == name && p.alias == alias) {
            let what = match &alias {
                Some(a) => format!("provider configuration `{name}.{a}` is declared twice"),
                None => format!("the default `{name}` provider configuration is declared twice"),
            };
            self.diags.push(
                Diagnostic::error("strata::config::duplicate_provider", what)
                    .with_label(alias_span.clone().or(Some(header)), "declared again here")
                    .with_label(prev.alias_span.clone().or(Some(prev.span.clone())), "first declared here")
                    .with_help(match &alias {
                        Some(_) => "give each aliased configuration its own `alias`".to_string(),
                        None => format!("one `provider \"{name}\"` block may go without `alias`; give the others `alias = \"NAME\"`"),
                    }),
            );
            return;
        }
        module.providers.push(ProviderBlock { name: name.to_string(), alias, span: header, alias_span, file, body: block.body });
    }

    /// `aws` or `aws.west`, a bare reference; anything else is an error.
    fn provider_ref(&mut self, file: FileId, e: &Expression) -> Option<ProviderRef> {
        let span = hcl_edit::Span::span(e).map(|r| Span::new(file, r));
        let text = expr_text(e);
        let parts: Vec<&str> = text.split('.').collect();
        let bare = matches!(e, Expression::Variable(_) | Expression::Traversal(_));
        if bare && parts.len() <= 2 && parts.iter().all(|p| is_valid_name(p)) {
            return Some(ProviderRef {
                name: parts[0].to_string(),
                alias: parts.get(1).map(|s| s.to_string()),
                span: span.unwrap_or_else(|| Span::new(file, 0..0)),
            });
        }
        self.diags.push(
            Diagnostic::error("strata::config::invalid_provider_reference", "expected a provider configuration such as `aws.west`")
                .with_label(span, "not a provider reference")
                .with_help("write the provider's name and alias without quotes: `provider = aws.west`"),
        );
        None
    }

    /// `providers = { aws = aws.west, aws.east = aws.east }` of a module call.
    fn read_providers_map(&mut self, file: FileId, e: &Expression, span: Span) -> Vec<(ProviderRef, ProviderRef)> {
        let Expression::Object(obj) = e else {
            self.diags.push(
                Diagnostic::error("strata::config::invalid_providers", "`providers` must be a map of provider configurations")
                    .with_label(Some(span), "not a map")
                    .with_help("write `providers = { aws = aws.west }`"),
            );
            return Vec::new();
        };
        let mut out: Vec<(ProviderRef, ProviderRef)> = Vec::new();
        for (key, value) in obj.iter() {
            let key = match key {
                hcl_edit::expr::ObjectKey::Ident(id) => {
                    let span = id.span().map_or_else(|| Span::new(file, 0..0), |r| Span::new(file, r));
                    Some(ProviderRef { name: id.as_str().to_string(), alias: None, span })
                }
                hcl_edit::expr::ObjectKey::Expression(k) => self.provider_ref(file, k),
            };
            let value = self.provider_ref(file, value.expr());
            let (Some(key), Some(value)) = (key, value) else { continue };
            if let Some((prev, _)) = out.iter().find(|(k, _)| k.local() == key.local()) {
                let prev = prev.span.clone();
                self.duplicate(&format!("providers.{}", key.local()), key.span.clone(), prev);
                continue;
            }
            out.push((key, value));
        }
        out
    }

    /// `terraform { required_providers { aws = { configuration_aliases = [aws.west] } } }`.
    fn read_configuration_aliases(&mut self, file: FileId, body: &Body, module: &mut Module) {
        for b in body.blocks().filter(|b| b.ident.as_str() == "required_providers") {
            for a in b.body.attributes() {
                let Expression::Object(obj) = &a.value else { continue };
                for (key, value) in obj.iter() {
                    let is_aliases = match key {
                        hcl_edit::expr::ObjectKey::Ident(id) => id.as_str() == "configuration_aliases",
                        hcl_edit::expr::ObjectKey::Expression(k) => expr_text(k) == "configuration_aliases",
                    };
                    if !is_aliases {
                        continue;
                    }
                    let Expression::Array(items) = value.expr() else {
                        self.diags.push(
                            Diagnostic::error("strata::config::invalid_provider_reference", "`configuration_aliases` must be a list")
                                .with_label(hcl_edit::Span::span(value.expr()).map(|r| Span::new(file, r)), "not a list")
                                .with_help(format!("write `configuration_aliases = [{}.west]`", a.key.as_str())),
                        );
                        continue;
                    };
                    for item in items.iter() {
                        let Some(r) = self.provider_ref(file, item) else { continue };
                        if r.alias.is_none() || r.name != a.key.as_str() {
                            self.diags.push(
                                Diagnostic::error(
                                    "strata::config::invalid_provider_reference",
                                    format!("`configuration_aliases` of `{}` lists `{}`", a.key.as_str(), r.local()),
                                )
                                .with_label(Some(r.span.clone()), "not an alias of this provider")
                                .with_help(format!("list aliases of this provider: `{}.NAME`", a.key.as_str())),
                            );
                            continue;
                        }
                        module.configuration_aliases.push(r);
                    }
                }
            }
        }
    }

    fn literal_bool(&mut self, file: FileId, a: &Attribute) -> bool {
        match a.value.as_bool() {
            Some(b) => b,
            None => {
                self.diags.push(
                    Diagnostic::error("strata::config::invalid_value", format!("`{}` must be a literal true or false", a.key.as_str()))
                        .with_label(span_of(file, a), "not a literal bool"),
                );
                false
            }
        }
    }

    fn duplicate(&mut self, what: &str, span: Span, previous: Span) {
        self.diags.push(
            Diagnostic::error("strata::config::duplicate", format!("`{what}` is declared twice"))
                .with_label(Some(span), "declared again here")
                .with_label(Some(previous), "first declared here")
                .with_help("names must be unique within a module; rename or remove one"),
        );
    }

    fn unsupported_attr(&mut self, file: FileId, a: &Attribute, name: &str, known: &[&str], block: &str) {
        let mut d =
            Diagnostic::error("strata::config::unsupported_attribute", format!("unsupported argument `{name}` in a `{block}` block"))
                .with_label(span_of(file, a), "not expected here");
        d = match did_you_mean(name, known.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!("a `{block}` block takes: {}", known.join(", "))),
        };
        self.diags.push(d);
    }

    fn unexpected_block(&mut self, file: FileId, b: &Block, parent: &str) {
        self.diags.push(
            Diagnostic::error("strata::config::unsupported_block", format!("unexpected `{}` block inside `{parent}`", b.ident.as_str()))
                .with_label(Some(header_span(file, b)), "not expected here"),
        );
    }
}

/// Resolve `.` and `..` lexically, as Terraform shows `path.module`
/// (`examples/x/../../modules/y` → `modules/y`).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() { PathBuf::from(".") } else { out.iter().collect() }
}

/// `*.tf` and `*.hcl` files of a directory, sorted by name (not recursive).
fn list_config_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_config = path.extension().is_some_and(|e| e == "tf" || e == "hcl");
        let is_hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if is_config && !is_hidden && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn display_name(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()).unwrap_or(path);
    rel.display().to_string()
}

pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

pub(crate) fn span_of<T: hcl_edit::Span>(file: FileId, item: &T) -> Option<Span> {
    item.span().map(|r| Span::new(file, r))
}

/// The span of a block's header: from its identifier to the end of its last label.
pub(crate) fn header_span(file: FileId, block: &Block) -> Span {
    let start = block.ident.span().map(|r| r.start);
    let end = block.labels.last().and_then(|l| l.span()).or_else(|| block.ident.span()).map(|r| r.end);
    match (start, end) {
        (Some(s), Some(e)) if e >= s => Span::new(file, s..e),
        _ => Span::new(file, block.span().unwrap_or(0..0)),
    }
}

/// The source text of a simple expression such as `aws.west` (for `provider = aws.west`).
fn expr_text(expr: &Expression) -> String {
    expr.to_string().trim().to_string()
}

fn syntax_error(file: FileId, text: &str, e: &hcl_edit::parser::Error) -> Diagnostic {
    let loc = e.location();
    // The parser's offset may fall inside a multi-byte character.
    let mut offset = loc.offset().min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    if let Some(d) = number_out_of_range(file, text, offset) {
        return d;
    }
    let end = text[offset..].char_indices().nth(1).map_or(text.len(), |(i, _)| offset + i);
    Diagnostic::error("strata::config::syntax", format!("syntax error: {}", e.message()))
        .with_label(Some(Span::new(file, offset..end.max(offset))), e.message().to_string())
        .with_help("strata reads HCL as Terraform does; check for unbalanced braces, quotes or a missing `=`")
}

/// A number literal too large for a 64-bit float (`1e400`) on the line where
/// parsing stopped, at or after the error offset: the parser backs out of it
/// with a puzzling "expected newline" (or "invalid block body"); say what is
/// wrong instead. Text inside quotes on that line is skipped.
fn number_out_of_range(file: FileId, text: &str, offset: usize) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let mut in_string = false;
    let mut i = line_start;
    while i < line_end {
        let b = bytes[i];
        if b == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
            in_string = !in_string;
        }
        let starts_literal =
            b.is_ascii_digit() && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b'.')));
        if in_string || !starts_literal {
            i += 1;
            continue;
        }
        let end = literal_end(bytes, i);
        if end > offset
            && let Ok(value) = text[i..end].parse::<f64>()
            && !value.is_finite()
        {
            let literal = &text[i..end];
            let shown = if literal.len() > 40 { format!("{}…", &literal[..40]) } else { literal.to_string() };
            return Some(
                Diagnostic::error(
                    strata_expr::codes::NON_FINITE,
                    format!("the number literal `{shown}` is out of range (it overflows to infinity)"),
                )
                .with_label(Some(Span::new(file, i..end)), "out of range")
                .with_help("numbers are 64-bit floating point values: finite, at most about 1.8e308 in magnitude"),
            );
        }
        i = end;
    }
    None
}

/// The end of the number literal starting at `start`: digits, a fraction, an exponent.
fn literal_end(bytes: &[u8], start: usize) -> usize {
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut end = digits(start);
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = digits(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign = end + 1 + usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exp_end = digits(sign);
        if exp_end > sign {
            end = exp_end;
        }
    }
    end
}
