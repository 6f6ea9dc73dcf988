//! The price of a GraphQL operation, computed before it runs, on the same parse juniper runs.
//!
//! Two figures, as GitHub and Shopify publish them:
//! - **nodes**: the objects the answer may hold. A connection multiplies what is under its
//!   `edges`/`nodes` by its `first`/`last` (or the default page size); a plain list by its
//!   declared bound. Introspection objects are counted exactly, by walking the schema the
//!   introspection would describe, so the standard introspection query is priced like any
//!   other query rather than exempted.
//! - **cost**: the work on the database, Shopify's calculated query cost: an object field is
//!   1, a connection 2 plus its page times its children, a scalar 0, a mutation 10, a few
//!   aggregate fields their declared weight; introspection is served from memory and costs 0.
//!
//! Requests above either cap are refused before any SQL runs; the cost is what a client's
//! budget pays (`budget.rs`).

use std::collections::HashMap;

use juniper::meta::{Field as FieldMeta, MetaType};
use juniper::{
    DefaultScalarValue, Definition, Document, InputValue, OperationType, ScalarValue, SchemaType,
    Selection, Variables,
};

use crate::config::Limits;

/// What one operation may cost, and its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub cost: u64,
    pub nodes: u64,
    pub depth: usize,
    pub aliases: usize,
    /// `query:me`, `mutation:signIn` …: the metrics label (operation type and first root field).
    pub operation: String,
    /// A query that reads only the published catalogue ([`CATALOGUE_FIELDS`]): asked without
    /// signing in, its answer may be served from the page cache (`page_cache.rs`).
    pub catalogue: bool,
}

/// The fields whose answers move only with the catalogue's version (a product's content,
/// status and communities; organisations' and communities' names, which never change; the
/// taxonomy, which changes only with a migration). Bookings and seats are not among them.
const CATALOGUE_FIELDS: &[&str] = &[
    "Query.products",
    "Query.categories",
    "ProductConnection.edges",
    "ProductConnection.nodes",
    "ProductConnection.pageInfo",
    "ProductConnection.totalCount",
    "ProductEdge.cursor",
    "ProductEdge.node",
    "PageInfo.hasNextPage",
    "PageInfo.hasPreviousPage",
    "PageInfo.startCursor",
    "PageInfo.endCursor",
    "Product.id",
    "Product.title",
    "Product.summary",
    "Product.description",
    "Product.category",
    "Product.priceTier",
    "Product.priceYuan",
    "Product.marketPriceYuan",
    "Product.pricePoints",
    "Product.status",
    "Product.statusReason",
    "Product.organisation",
    "Product.communities",
    "Product.createdAt",
    "Product.updatedAt",
    "Product.publishedAt",
    "Organisation.id",
    "Organisation.name",
    "Organisation.kind",
    "Community.id",
    "Community.name",
    "Community.street",
    "Community.communityType",
    "Community.communityTypeLabel",
    "Category.id",
    "Category.slug",
    "Category.nameZh",
    "Category.nameEn",
    "Category.parentId",
    "Category.children",
];

/// Why an operation is refused before it runs, with the figures for `extensions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooComplex {
    pub message: String,
    pub measure: &'static str,
    pub requested: u64,
    pub allowed: u64,
}

impl Price {
    /// The first cap the operation exceeds, if any.
    pub fn exceeds(&self, limits: &Limits) -> Option<TooComplex> {
        let checks = [
            (
                "depth",
                saturating(self.depth),
                saturating(limits.max_depth),
                "查询嵌套过深",
            ),
            (
                "aliases",
                saturating(self.aliases),
                saturating(limits.max_aliases),
                "别名过多",
            ),
            (
                "nodes",
                self.nodes,
                limits.max_nodes,
                "查询可能返回的对象过多",
            ),
            ("cost", self.cost, limits.max_cost, "查询代价过高"),
        ];
        checks
            .into_iter()
            .find(|(_, requested, allowed, _)| requested > allowed)
            .map(|(measure, requested, allowed, what)| TooComplex {
                message: format!("{what}（{requested}，上限 {allowed}），请减少请求的数据或分页"),
                measure,
                requested,
                allowed,
            })
    }
}

fn saturating(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Lists that are not connections, with the most items each can hold (a test checks that every
/// list field of the schema is a connection or appears here).
#[expect(
    clippy::as_conversions,
    reason = "a const, where TryFrom cannot run; the bounds are tiny"
)]
pub const LIST_BOUNDS: &[(&str, u64)] = &[
    ("Query.categories", 60),
    ("Query.nodes", 100),
    ("Query.matchCandidates", 20),
    ("Query.impact", linli_domain::insight::IMPACT_ROWS as u64),
    (
        "Query.impactTable",
        linli_domain::insight::IMPACT_ROWS as u64,
    ),
    (
        "Query.liability",
        linli_domain::insight::LIABILITY_MONTHS as u64,
    ),
    (
        "Dashboard.pointsByMonth",
        linli_domain::insight::LIABILITY_MONTHS as u64,
    ),
    (
        "Dashboard.hoursByCommunity",
        linli_domain::insight::COMMUNITY_ROWS as u64,
    ),
    ("Dashboard.productsByCategory", 60),
    ("Dashboard.organisationsByCategory", 60),
    (
        "Dashboard.needsByCommunity",
        linli_domain::insight::COMMUNITY_ROWS as u64,
    ),
    (
        "Dashboard.merchantsByRedemptions",
        linli_domain::insight::TOP_MERCHANTS as u64,
    ),
    (
        "Query.myOrganisations",
        linli_domain::directory::MEMBERSHIPS_LISTED as u64,
    ),
    (
        "User.memberships",
        linli_domain::directory::MEMBERSHIPS_LISTED as u64,
    ),
    ("Category.children", 30),
    (
        "ReviewCase.evidence",
        linli_domain::review::EVIDENCE_LINES as u64,
    ),
    (
        "ReviewCase.transferIds",
        linli_domain::review::SUBJECTS_LISTED as u64,
    ),
    (
        "ReviewCase.userIds",
        linli_domain::review::SUBJECTS_LISTED as u64,
    ),
    (
        "CertificateContent.organisations",
        linli_domain::certificate::CERTIFICATE_PARTICIPATIONS as u64,
    ),
    (
        "CertificateContent.activities",
        linli_domain::certificate::CERTIFICATE_PARTICIPATIONS as u64,
    ),
    ("Account.lots", linli_domain::ledger::LOTS_LISTED as u64),
    ("Product.communities", 50),
    ("User.notificationsOff", 20),
    ("ServiceRecord.byCategory", 60),
    (
        "ServiceRecord.byOrganisation",
        linli_domain::volunteering::SERVICE_RECORD_ORGANISATIONS as u64,
    ),
    ("Group.criteria", 10),
    ("Need.steps", linli_domain::matching::STEPS_SHOWN as u64),
    ("MerchantStatement.perReward", 200),
    ("MerchantStatement.lines", 2_000),
    (
        "CloseSettlementsPayload.refused",
        linli_domain::settlement::model::REFUSALS_LISTED as u64,
    ),
    ("DistrictOverview.topMerchants", 20),
    ("DistrictOverview.perCommunity", 200),
    ("MatchCandidate.reasons", 10),
    (
        "VerifyAttendancePayload.verified",
        linli_domain::volunteering::BULK_VERIFICATIONS as u64,
    ),
    ("UserError.field", 5),
    // A membership change answers with the whole (short) member list.
    ("MembersPayload.members", 200),
    ("GroupMembersPayload.members", 200),
];

/// Fields whose work is more than one object's: aggregates and rankings.
const WEIGHTS: &[(&str, u64)] = &[
    ("Query.impact", 200),
    ("Query.impactTable", 200),
    // Each dashboard figure is one aggregate statement over its period.
    ("Dashboard.pointsByMonth", 50),
    ("Dashboard.hoursByCommunity", 50),
    ("Dashboard.productsByCategory", 50),
    ("Dashboard.organisationsByCategory", 50),
    ("Dashboard.needsByCommunity", 50),
    ("Dashboard.merchantsByRedemptions", 50),
    ("Query.liability", 50),
    ("Query.organisationBudgets", 20),
    ("Query.attendanceReport", 20),
    ("Query.residentHours", 20),
    ("Query.matchCandidates", 100),
    ("Query.districtOverview", 100),
    ("Query.ledgerTotals", 20),
    ("Query.merchantStatement", 20),
    ("Settlement.statement", 20),
    ("Query.settlementTotals", 20),
];

/// What a mutation costs before its answer is priced: writing is dearer than reading.
const MUTATION_COST: u64 = 10;

/// The page a connection returns without `first`/`last` (the domain's default).
#[expect(
    clippy::as_conversions,
    reason = "a const, where TryFrom cannot run; page sizes are tiny"
)]
const DEFAULT_PAGE: u64 = linli_domain::page::DEFAULT_PAGE_SIZE as u64;
#[expect(
    clippy::as_conversions,
    reason = "a const, where TryFrom cannot run; page sizes are tiny"
)]
const MAX_PAGE: u64 = linli_domain::page::MAX_PAGE_SIZE as u64;

/// Prices the operation `operation_name` of `document`. The document has passed juniper's
/// validation, so every field exists and fragments do not cycle.
pub fn price(
    document: &Document<'_, DefaultScalarValue>,
    operation_name: Option<&str>,
    schema: &SchemaType<DefaultScalarValue>,
    variables: &Variables<DefaultScalarValue>,
) -> Price {
    let mut fragments = HashMap::new();
    let mut chosen = None;
    for definition in document {
        match definition {
            Definition::Fragment(f) => {
                let condition = f.item.type_condition.item;
                fragments.insert(
                    f.item.name.item,
                    (condition, f.item.selection_set.as_slice()),
                );
            }
            Definition::Operation(op) => {
                let name = op.item.name.as_ref().map(|n| n.item);
                if operation_name.is_none() || name == operation_name {
                    chosen = Some(&op.item);
                }
            }
        }
    }
    let Some(operation) = chosen else {
        return Price {
            cost: 0,
            nodes: 0,
            depth: 0,
            aliases: 0,
            operation: "invalid".to_owned(),
            catalogue: false,
        };
    };
    let is_mutation = operation.operation_type == OperationType::Mutation;
    let (kind, root) = match (operation.operation_type, schema.concrete_mutation_type()) {
        (OperationType::Mutation, Some(mutation)) => ("mutation", mutation),
        (OperationType::Subscription, _) => ("subscription", schema.concrete_query_type()),
        _ => ("query", schema.concrete_query_type()),
    };
    let first_field = operation
        .selection_set
        .iter()
        .find_map(|s| match s {
            Selection::Field(f) => Some(f.item.name.item),
            _ => None,
        })
        .unwrap_or("fragment");
    // The executor fills a variable the request leaves out with its declared default, so the
    // price does too: a default `first` or `@include(if:)` condition is what will run.
    let mut variables = variables.clone();
    for (name, definition) in operation
        .variables_definition
        .iter()
        .flat_map(|d| &d.item.items)
    {
        if let Some(default) = &definition.default_value {
            variables
                .entry(name.item.to_owned())
                .or_insert_with(|| default.item.clone());
        }
    }
    let mut walk = Walk {
        schema,
        fragments,
        variables: &variables,
        aliases: 0,
        nodes: 0,
        open: Vec::new(),
        pages: Vec::new(),
        fields: 0,
        beyond_catalogue: false,
    };
    let root_cost = if is_mutation { MUTATION_COST } else { 0 };
    let (cost, depth) = walk.selections(&operation.selection_set, root, 1, root_cost);
    Price {
        cost: cost.saturating_add(u64::from(!is_mutation)),
        nodes: walk.nodes,
        depth,
        aliases: walk.aliases,
        operation: format!("{kind}:{first_field}"),
        catalogue: kind == "query" && walk.fields > 0 && !walk.beyond_catalogue,
    }
}

type Selections<'d> = &'d [Selection<'d, DefaultScalarValue>];

struct Walk<'d, 's> {
    schema: &'s SchemaType<DefaultScalarValue>,
    /// Fragment name → (type condition, selections).
    fragments: HashMap<&'d str, (&'d str, Selections<'d>)>,
    variables: &'s Variables<DefaultScalarValue>,
    aliases: usize,
    nodes: u64,
    /// Fragments being expanded (validation refuses cycles; this keeps the walk finite anyway).
    open: Vec<&'d str>,
    /// The page sizes of the connections being walked, innermost last.
    pages: Vec<u64>,
    /// Data fields walked, and whether any of them is outside [`CATALOGUE_FIELDS`].
    fields: usize,
    beyond_catalogue: bool,
}

impl<'d> Walk<'d, '_> {
    /// Cost and depth of `set` on objects of type `on`, each reached `times` times.
    /// `field_cost` is what a root mutation field costs before its answer (0 elsewhere).
    fn selections(
        &mut self,
        set: Selections<'d>,
        on: &MetaType<DefaultScalarValue>,
        times: u64,
        field_cost: u64,
    ) -> (u64, usize) {
        let mut cost = 0_u64;
        let mut deepest = 0;
        for selection in set {
            if self.left_out(selection) {
                continue;
            }
            let (c, d) = match selection {
                Selection::Field(field) => {
                    let field = &field.item;
                    if field.alias.is_some() {
                        self.aliases += 1;
                    }
                    let name = field.name.item;
                    let children = field.selection_set.as_deref().unwrap_or(&[]);
                    if name == "__typename" {
                        (0, 0)
                    } else if let Some(value) = self.introspection_root(
                        name,
                        field
                            .arguments
                            .as_ref()
                            .and_then(|a| a.item.get("name"))
                            .map(|v| &v.item),
                    ) {
                        self.beyond_catalogue = true;
                        let found = self.introspect(value, children).saturating_add(1);
                        self.nodes = self.nodes.saturating_add(found.saturating_mul(times));
                        (0, self.depth(children).saturating_add(1))
                    } else {
                        let page_args: Vec<&InputValue<DefaultScalarValue>> = ["first", "last"]
                            .iter()
                            .filter_map(|n| field.arguments.as_ref()?.item.get(n))
                            .map(|v| &v.item)
                            .collect();
                        match on.field_by_name(name) {
                            Some(meta) => {
                                self.field(on, meta, &page_args, children, times, field_cost)
                            }
                            None => (0, 0),
                        }
                    }
                }
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .item
                        .type_condition
                        .as_ref()
                        .and_then(|t| self.schema.concrete_type_by_name(t.item))
                        .unwrap_or(on);
                    let (c, d) = self.selections(&inline.item.selection_set, on, times, field_cost);
                    (c, d.saturating_sub(1))
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.item.name.item;
                    match self.fragments.get(name).copied() {
                        Some((condition, set)) if !self.open.contains(&name) => {
                            let on = self.schema.concrete_type_by_name(condition).unwrap_or(on);
                            self.open.push(name);
                            let (c, d) = self.selections(set, on, times, field_cost);
                            self.open.pop();
                            (c, d.saturating_sub(1))
                        }
                        _ => (0, 0),
                    }
                }
            };
            cost = cost.saturating_add(c);
            deepest = deepest.max(d);
        }
        (cost, deepest.saturating_add(1))
    }

    /// Cost and depth of one data field reached `times` times.
    fn field(
        &mut self,
        parent: &MetaType<DefaultScalarValue>,
        meta: &FieldMeta<DefaultScalarValue>,
        page_args: &[&InputValue<DefaultScalarValue>],
        children: Selections<'d>,
        times: u64,
        field_cost: u64,
    ) -> (u64, usize) {
        let parent_name = parent.name().map_or("", |n| n.as_str());
        let key = format!("{parent_name}.{}", meta.name);
        self.fields += 1;
        self.beyond_catalogue |= !CATALOGUE_FIELDS.contains(&key.as_str());
        let target = self
            .schema
            .concrete_type_by_name(meta.field_type.innermost_name());
        let is_object = matches!(
            target,
            Some(MetaType::Object(_) | MetaType::Interface(_) | MetaType::Union(_))
        );
        // `[[Int!]]` nests two lists: each multiplies by the bound.
        let lists = meta.field_type.to_string().matches('[').count();
        let connection = parent_name.ends_with("Connection");
        // How many objects this field yields each time it is reached.
        let field_name: &str = &meta.name;
        let each = if connection && (field_name == "edges" || field_name == "nodes") {
            self.page_of_current()
        } else if lists > 0 {
            bound(&key).saturating_pow(u32::try_from(lists).unwrap_or(1))
        } else {
            1
        };
        let reached = times.saturating_mul(each);
        let weight = WEIGHTS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, w)| *w);
        let mut cost = weight.saturating_mul(times).saturating_add(field_cost);
        if !is_object {
            return (cost, 0);
        }
        self.nodes = self.nodes.saturating_add(reached);
        let Some(target) = target else {
            return (cost, 0);
        };
        let target_name = target.name().map_or("", |n| n.as_str());
        if target_name.ends_with("Connection") {
            // Shopify: a connection is 2, plus its page of children.
            cost = cost.saturating_add(2_u64.saturating_mul(times));
            let page = page_size(page_args, self.variables);
            self.pages.push(page);
            let (c, d) = self.selections(children, target, times, 0);
            self.pages.pop();
            return (cost.saturating_add(c), d);
        }
        // Edges are part of their connection's price; other objects are one each.
        if !connection {
            cost = cost.saturating_add(reached);
        }
        let (c, d) = self.selections(children, target, reached, 0);
        (cost.saturating_add(c), d)
    }
}

impl<'d> Walk<'d, '_> {
    /// Whether `@skip(if: true)` or `@include(if: false)` leaves `selection` out of the
    /// answer: the executor will not run it, so it costs nothing (a dashboard asks for one
    /// figure of several by a flag).
    fn left_out(&self, selection: &Selection<'d, DefaultScalarValue>) -> bool {
        let directives = match selection {
            Selection::Field(f) => &f.item.directives,
            Selection::FragmentSpread(s) => &s.item.directives,
            Selection::InlineFragment(i) => &i.item.directives,
        };
        directives.iter().flatten().any(|d| {
            let condition = d
                .item
                .arguments
                .as_ref()
                .and_then(|a| a.item.get("if"))
                .and_then(|v| match &v.item {
                    InputValue::Variable(name) => self.variables.get(name.as_str()),
                    literal => Some(literal),
                })
                .and_then(InputValue::as_scalar)
                .and_then(ScalarValue::try_to_bool);
            matches!(
                (d.item.name.item, condition),
                ("skip", Some(true)) | ("include", Some(false))
            )
        })
    }

    fn page_of_current(&self) -> u64 {
        self.pages.last().copied().unwrap_or(DEFAULT_PAGE)
    }

    /// Plain nesting depth of a selection set, through fragments (for introspection, whose
    /// objects are counted by [`Walk::introspect`] instead).
    fn depth(&mut self, set: Selections<'d>) -> usize {
        let mut deepest = 0;
        for selection in set {
            let d = match selection {
                Selection::Field(field) => {
                    if field.item.alias.is_some() {
                        self.aliases += 1;
                    }
                    match field.item.selection_set.as_deref() {
                        Some(children) if !children.is_empty() => self.depth(children),
                        _ => 0,
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.depth(&inline.item.selection_set).saturating_sub(1)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.item.name.item;
                    match self.fragments.get(name).copied() {
                        Some((_, set)) if !self.open.contains(&name) => {
                            self.open.push(name);
                            let d = self.depth(set).saturating_sub(1);
                            self.open.pop();
                            d
                        }
                        _ => 0,
                    }
                }
            };
            deepest = deepest.max(d);
        }
        deepest.saturating_add(1)
    }
}

/// The page a connection field asks for: its `first` or `last` (a literal or a variable).
fn page_size(
    page_args: &[&InputValue<DefaultScalarValue>],
    variables: &Variables<DefaultScalarValue>,
) -> u64 {
    page_args
        .iter()
        .filter_map(|value| match value {
            InputValue::Variable(v) => variables.get(v.as_str()).and_then(InputValue::as_scalar),
            other => other.as_scalar(),
        })
        .filter_map(ScalarValue::try_to_int)
        .map(|n| u64::try_from(n).unwrap_or(0))
        .max()
        .unwrap_or(DEFAULT_PAGE)
}

/// The declared bound of a plain list field; lists without one are priced at the largest page.
fn bound(key: &str) -> u64 {
    if key.ends_with("Payload.errors") {
        return PAYLOAD_ERRORS;
    }
    LIST_BOUNDS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(MAX_PAGE, |(_, b)| *b)
}

/// A mutation payload's `errors`: one per problem of its input, which has a few fields.
const PAYLOAD_ERRORS: u64 = 20;

/// A value introspection can return: the schema, a type (with its list and non-null
/// wrappers), a field, an argument or input field, an enum value or a directive.
#[derive(Clone, Copy)]
enum Intro<'s> {
    Schema,
    /// A named type inside `wrappers` list and non-null wrappers (peeled by `ofType`).
    Type {
        name: &'s str,
        wrappers: usize,
    },
    Field(&'s FieldMeta<DefaultScalarValue>),
    Input(&'s juniper::meta::Argument<DefaultScalarValue>),
    EnumValue,
    /// A directive, by its arguments.
    Directive(&'s [juniper::meta::Argument<DefaultScalarValue>]),
}

impl<'d, 's> Walk<'d, 's> {
    fn introspection_root(
        &self,
        name: &str,
        type_name: Option<&InputValue<DefaultScalarValue>>,
    ) -> Option<Intro<'s>> {
        match name {
            "__schema" => Some(Intro::Schema),
            "__type" => {
                let asked = type_name.and_then(|v| match v {
                    InputValue::Variable(var) => self
                        .variables
                        .get(var.as_str())
                        .and_then(InputValue::as_scalar)
                        .and_then(ScalarValue::try_as_str),
                    other => other.as_scalar().and_then(ScalarValue::try_as_str),
                })?;
                let meta = self.schema.concrete_type_by_name(asked)?;
                Some(Intro::Type {
                    name: meta.name()?.as_ref(),
                    wrappers: 0,
                })
            }
            _ => None,
        }
    }

    /// How many objects the selection `set` on `value` returns, exactly.
    fn introspect(&mut self, value: Intro<'s>, set: Selections<'d>) -> u64 {
        let mut found = 0_u64;
        for selection in set {
            let n = match selection {
                Selection::Field(field) => {
                    let children = field.item.selection_set.as_deref().unwrap_or(&[]);
                    if children.is_empty() {
                        0
                    } else {
                        let values = self.intro_children(value, field.item.name.item);
                        let mut n = 0_u64;
                        for child in values {
                            n = n
                                .saturating_add(1)
                                .saturating_add(self.introspect(child, children));
                        }
                        n
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.introspect(value, &inline.item.selection_set)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.item.name.item;
                    match self.fragments.get(name).copied() {
                        Some((_, set)) if !self.open.contains(&name) => {
                            self.open.push(name);
                            let n = self.introspect(value, set);
                            self.open.pop();
                            n
                        }
                        _ => 0,
                    }
                }
            };
            found = found.saturating_add(n);
        }
        found
    }

    /// The objects field `name` of `value` holds.
    fn intro_children(&self, value: Intro<'s>, name: &str) -> Vec<Intro<'s>> {
        let schema = self.schema;
        let named = |meta: &'s MetaType<DefaultScalarValue>| {
            meta.name().map(|n| Intro::Type {
                name: n.as_ref(),
                wrappers: 0,
            })
        };
        let of_type = |t: &'s juniper::Type| Intro::Type {
            name: t.innermost_name(),
            wrappers: t.modifiers().len(),
        };
        match (value, name) {
            (Intro::Schema, "types") => schema
                .concrete_type_list()
                .into_iter()
                .filter_map(named)
                .collect(),
            (Intro::Schema, "queryType") => {
                named(schema.concrete_query_type()).into_iter().collect()
            }
            (Intro::Schema, "mutationType") => schema
                .concrete_mutation_type()
                .and_then(named)
                .into_iter()
                .collect(),
            (Intro::Schema, "subscriptionType") => schema
                .concrete_subscription_type()
                .and_then(named)
                .into_iter()
                .collect(),
            (Intro::Schema, "directives") => schema
                .directive_list()
                .into_iter()
                .map(|d| Intro::Directive(d.arguments.as_slice()))
                .collect(),
            (Intro::Type { name, wrappers }, "ofType") if wrappers > 0 => vec![Intro::Type {
                name,
                wrappers: wrappers - 1,
            }],
            (Intro::Type { wrappers, .. }, _) if wrappers > 0 => Vec::new(),
            (Intro::Type { name, .. }, field) => {
                let Some(meta) = schema.concrete_type_by_name(name) else {
                    return Vec::new();
                };
                match (meta, field) {
                    (MetaType::Object(o), "fields") => o.fields.iter().map(Intro::Field).collect(),
                    (MetaType::Interface(i), "fields") => {
                        i.fields.iter().map(Intro::Field).collect()
                    }
                    (MetaType::Object(o), "interfaces") => o
                        .interface_names
                        .iter()
                        .map(|n| Intro::Type {
                            name: n.as_ref(),
                            wrappers: 0,
                        })
                        .collect(),
                    (MetaType::Interface(i), "interfaces") => i
                        .interface_names
                        .iter()
                        .map(|n| Intro::Type {
                            name: n.as_ref(),
                            wrappers: 0,
                        })
                        .collect(),
                    (MetaType::Interface(_) | MetaType::Union(_), "possibleTypes") => schema
                        .possible_types(meta)
                        .into_iter()
                        .filter_map(named)
                        .collect(),
                    (MetaType::Enum(e), "enumValues") => {
                        e.values.iter().map(|_| Intro::EnumValue).collect()
                    }
                    (MetaType::InputObject(i), "inputFields") => {
                        i.input_fields.iter().map(Intro::Input).collect()
                    }
                    _ => Vec::new(),
                }
            }
            (Intro::Field(f), "args") => f.arguments.iter().flatten().map(Intro::Input).collect(),
            (Intro::Field(f), "type") => vec![of_type(&f.field_type)],
            (Intro::Input(a), "type") => vec![of_type(&a.arg_type)],
            (Intro::Directive(args), "args") => args.iter().map(Intro::Input).collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql;

    fn price_of(query: &str) -> Price {
        let schema = graphql::schema(&Limits::default());
        let document = juniper::parser::parse_document_source(query, &schema.schema).unwrap();
        price(&document, None, &schema.schema, &Variables::new())
    }

    #[test]
    fn every_list_field_is_a_connection_or_has_a_declared_bound() {
        let schema = graphql::schema(&Limits::default());
        let mut unbounded = Vec::new();
        for meta in schema.schema.concrete_type_list() {
            let (MetaType::Object(juniper::meta::ObjectMeta { name, fields, .. })
            | MetaType::Interface(juniper::meta::InterfaceMeta { name, fields, .. })) = meta
            else {
                continue;
            };
            if name.starts_with("__") || name.ends_with("Connection") {
                continue;
            }
            for field in fields {
                let key = format!("{name}.{}", field.name);
                let is_list = field.field_type.to_string().contains('[');
                let declared =
                    key.ends_with("Payload.errors") || LIST_BOUNDS.iter().any(|(k, _)| *k == key);
                if is_list && !declared {
                    unbounded.push(key);
                }
            }
        }
        assert!(unbounded.is_empty(), "lists without a bound: {unbounded:?}");
    }

    #[test]
    fn every_catalogue_field_is_in_the_schema() {
        let schema = graphql::schema(&Limits::default());
        for key in CATALOGUE_FIELDS {
            let (parent, field) = key.split_once('.').unwrap();
            let meta = schema.schema.concrete_type_by_name(parent).unwrap();
            assert!(meta.field_by_name(field).is_some(), "{key}");
        }
    }

    #[test]
    fn only_queries_of_the_published_catalogue_may_be_cached() {
        let page = "{ products(first: 20) { totalCount nodes { id title priceTier \
                    organisation { name } category { nameZh } communities { name } } } }";
        assert!(price_of(page).catalogue);
        assert!(price_of("{ categories { id children { id } } }").catalogue);
        let seats = "{ products { nodes { id seatsLeft(day: \"2026-12-01\") } } }";
        assert!(!price_of(seats).catalogue, "seats move with bookings");
        assert!(!price_of("{ products { nodes { id } } me { id } }").catalogue);
        assert!(!price_of("{ __schema { queryType { name } } }").catalogue);
        let mutation = "mutation { signOut(input: { refreshToken: \"x\" }) { signedOut } }";
        assert!(!price_of(mutation).catalogue);
    }

    #[test]
    fn a_connection_costs_two_plus_its_page_of_children() {
        let page = price_of("{ communities(first: 10) { edges { node { id } } } }");
        assert_eq!(page.cost, 1 + 2 + 10);
        assert_eq!(
            page.nodes,
            1 + 10 + 10,
            "the connection, its edges and their nodes"
        );
        let default = price_of("{ communities { edges { node { id } } } }");
        assert_eq!(default.cost, 1 + 2 + DEFAULT_PAGE);
    }

    #[test]
    fn a_declared_default_page_is_priced_as_it_will_run() {
        let defaulted =
            price_of("query($n: Int = 100) { communities(first: $n) { edges { node { id } } } }");
        assert_eq!(defaulted.cost, 1 + 2 + 100);
    }

    #[test]
    fn what_skip_and_include_leave_out_costs_nothing() {
        let one = price_of("{ communities(first: 10) { nodes { id } } }");
        let flagged = price_of(
            "query($a: Boolean = false, $b: Boolean = true) { \
               x: communities(first: 10) @include(if: $b) { nodes { id } } \
               y: communities(first: 100) @include(if: $a) { nodes { id } } \
               z: communities(first: 100) @skip(if: true) { nodes { id } } \
               ... on Query @include(if: false) { categories { id } } }",
        );
        assert_eq!(flagged.cost, one.cost, "only x runs");
        let kept = price_of(
            "{ communities(first: 10) @skip(if: false) @include(if: true) { nodes { id } } }",
        );
        assert_eq!(kept.cost, one.cost);
    }

    #[test]
    fn nested_connections_multiply() {
        let nested = price_of(
            "{ products(first: 10) { edges { node { organisation { products(first: 5) { \
             edges { node { id } } } } } } } }",
        );
        // 10 products, each with an organisation and a connection of 5 more.
        assert_eq!(nested.cost, 1 + 2 + 10 * (1 + 1 + 2 + 5));
    }

    #[test]
    fn introspection_is_counted_exactly_and_costs_nothing() {
        let query = "{ __schema { types { name fields { name } } } }";
        let schema = graphql::schema(&Limits::default());
        let types = schema.schema.concrete_type_list();
        let fields: usize = types
            .iter()
            .map(|t| match t {
                MetaType::Object(o) => o.fields.len(),
                MetaType::Interface(i) => i.fields.len(),
                _ => 0,
            })
            .sum();
        let priced = price_of(query);
        assert_eq!(priced.cost, 1);
        assert_eq!(
            priced.nodes,
            1 + saturating(types.len()) + saturating(fields)
        );
    }
}
