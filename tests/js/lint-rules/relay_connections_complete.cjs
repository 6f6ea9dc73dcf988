// graphql-schema-linter rule `relay-connections-complete`: what the built-in relay-* rules
// let through but issue 14 requires ("Relay, completely"). The built-ins accept a connection
// that pages only one way, a PageInfo without startCursor/endCursor, and edges without a
// node or cursor; this rule refuses all three, per https://relay.dev/graphql/connections.htm.
// CommonJS because the linter loads rules with require().
'use strict';

const { GraphQLError, print } = require('graphql');

const RULE = 'relay-connections-complete';
const ARGUMENTS = { first: 'Int', after: 'String', last: 'Int', before: 'String' };

function report(context, message, node) {
  const error = new GraphQLError(message, { nodes: [node] });
  error.ruleName = RULE;
  context.reportError(error);
}

function namedType(typeNode) {
  return typeNode.kind === 'NamedType' ? typeNode.name.value : namedType(typeNode.type);
}

function isConnection(typeNode) {
  const inner = typeNode.kind === 'NonNullType' ? typeNode.type : typeNode;
  return inner.kind === 'NamedType' && inner.name.value.endsWith('Connection');
}

function RelayConnectionsComplete(context) {
  return {
    FieldDefinition(node, _key, _parent, _path, ancestors) {
      if (!isConnection(node.type)) return;
      const owner = ancestors[ancestors.length - 1].name.value;
      const args = new Map(node.arguments.map((arg) => [arg.name.value, print(arg.type)]));
      const missing = Object.keys(ARGUMENTS).filter((name) => !args.has(name));
      if (missing.length) {
        report(context, `The connection field \`${owner}.${node.name.value}\` lacks ${missing.map((m) => `\`${m}\``).join(', ')}: every connection pages forwards (first/after) and backwards (last/before).`, node);
      }
      for (const [name, type] of Object.entries(ARGUMENTS)) {
        if (args.has(name) && args.get(name) !== type) {
          report(context, `The argument \`${owner}.${node.name.value}(${name}:)\` must be a nullable \`${type}\`, not \`${args.get(name)}\`.`, node);
        }
      }
    },
    ObjectTypeDefinition(node) {
      const fields = new Map((node.fields ?? []).map((field) => [field.name.value, field]));
      const name = node.name.value;
      if (name === 'PageInfo') {
        for (const cursor of ['startCursor', 'endCursor']) {
          const field = fields.get(cursor);
          if (!field) report(context, `\`PageInfo\` lacks \`${cursor}: String\`.`, node);
          else if (print(field.type) !== 'String') {
            report(context, `\`PageInfo.${cursor}\` must be a nullable \`String\` (null on an empty page), not \`${print(field.type)}\`.`, field);
          }
        }
      }
      if (name.endsWith('Connection') && fields.has('edges')) {
        const edge = context.getSchema().getType(namedType(fields.get('edges').type));
        const edgeFields = edge && typeof edge.getFields === 'function' ? edge.getFields() : {};
        for (const required of ['node', 'cursor']) {
          if (!edgeFields[required]) report(context, `The edge type \`${edge?.name}\` of \`${name}\` lacks \`${required}\`.`, node);
        }
      }
    },
  };
}

module.exports = { RelayConnectionsComplete };
