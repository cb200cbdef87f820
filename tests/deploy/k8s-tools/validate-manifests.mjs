// Validates rendered Kubernetes manifests against the API schemas, offline.
//
//   node validate-manifests.mjs --modules DIR FILE.yaml...   validate files
//   node validate-manifests.mjs --modules DIR --self-test    prove it can fail
//
// DIR is the folder holding node_modules with kubernetes-models (installed by
// the ctest fixture from package-lock.json). Each object is checked twice:
//   1. types: `new Model(obj).validate()`, kubernetes-models' own check;
//   2. unknown fields: kubernetes-models accepts fields its schema does not
//      define, and the API server would drop them silently (a misspelt
//      `readinessProbe` is simply no probe). So the same schema validator is
//      run once more over a Proxy that records every property it reads; a
//      field it never reads is one the schema does not know.
// ServiceMonitor (a Prometheus-operator CRD) is not in kubernetes-models; it
// is checked against the small schema below, transcribed from the operator's
// monitoring.coreos.com/v1 API for the fields we may use, and strict about
// everything else.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

function usage() {
  console.error('usage: validate-manifests.mjs --modules DIR (--self-test | FILE.yaml...)');
  process.exit(2);
}

const args = process.argv.slice(2);
const modulesAt = args.indexOf('--modules');
if (modulesAt < 0 || !args[modulesAt + 1]) usage();
const require = createRequire(join(resolve(args[modulesAt + 1]), 'package.json'));
args.splice(modulesAt, 2);
const YAML = require('yaml');

// --- unknown-field tracking -------------------------------------------------

// Wraps `value` so that reads of its own properties (recursively) are
// recorded in `seen` as {path, value, read}.
function track(value, path, seen) {
  if (value === null || typeof value !== 'object') return value;
  const read = new Set();
  seen.push({ path, value, read });
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'string' && Object.hasOwn(target, key)) {
        read.add(key);
        if (!children.has(key)) children.set(key, track(target[key], `${path}/${key}`, seen));
        return children.get(key);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

function unknownFields(seen) {
  const unknown = [];
  for (const { path, value, read } of seen) {
    if (Array.isArray(value)) continue;
    for (const key of Object.keys(value)) {
      if (!read.has(key)) unknown.push(`${path}/${key}`);
    }
  }
  return unknown;
}

// Type check with the model, then the unknown-field pass over the same
// schema. Returns a list of error strings.
function checkWithModel(Model, obj) {
  try {
    new Model(obj).validate();
  } catch (error) {
    return [`schema: ${error.message}`];
  }
  const seen = [];
  Model.prototype.validate.call(track(obj, '', seen));
  return unknownFields(seen).map((path) => `unknown field ${path}`);
}

// kubernetes-models exports `kubernetes-models/<group>/<version>` (core: `v1`).
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  let module;
  try {
    module = require(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`);
  } catch {
    return undefined;
  }
  return module[kind];
}

// --- ServiceMonitor -----------------------------------------------------------

// A tiny schema language: {type, properties, required, items, values, enum,
// pattern, open}. `open: true` accepts any object (fields we never set whose
// own schemas are long; they still have to sit under a known key).
const str = { type: 'string' };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
const strings = { type: 'array', items: str };
const duration = {
  type: 'string',
  pattern: /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/,
};
const labelSelector = {
  type: 'object',
  properties: {
    matchLabels: { type: 'object', values: str },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: str,
          operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: strings,
        },
        required: ['key', 'operator'],
      },
    },
  },
};
const relabeling = {
  type: 'object',
  properties: {
    sourceLabels: strings,
    separator: str,
    targetLabel: str,
    regex: str,
    modulus: int,
    replacement: str,
    action: {
      type: 'string',
      enum: ['replace', 'keep', 'drop', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep',
        'lowercase', 'uppercase', 'keepequal', 'dropequal',
        'Replace', 'Keep', 'Drop', 'HashMod', 'LabelMap', 'LabelDrop', 'LabelKeep',
        'Lowercase', 'Uppercase', 'KeepEqual', 'DropEqual'],
    },
  },
};
const endpoint = {
  type: 'object',
  properties: {
    port: str,
    targetPort: { type: 'int-or-string' },
    path: str,
    scheme: { type: 'string', enum: ['http', 'https'] },
    params: { type: 'object', values: strings },
    interval: duration,
    scrapeTimeout: duration,
    honorLabels: bool,
    honorTimestamps: bool,
    trackTimestampsStaleness: bool,
    filterRunning: bool,
    followRedirects: bool,
    enableHttp2: bool,
    proxyUrl: str,
    relabelings: { type: 'array', items: relabeling },
    metricRelabelings: { type: 'array', items: relabeling },
    tlsConfig: { type: 'object', open: true },
    authorization: { type: 'object', open: true },
    basicAuth: { type: 'object', open: true },
    oauth2: { type: 'object', open: true },
    bearerTokenSecret: { type: 'object', open: true },
  },
};
const serviceMonitorSpec = {
  type: 'object',
  properties: {
    jobLabel: str,
    targetLabels: strings,
    podTargetLabels: strings,
    endpoints: { type: 'array', items: endpoint },
    selector: labelSelector,
    namespaceSelector: { type: 'object', properties: { any: bool, matchNames: strings } },
    sampleLimit: int,
    targetLimit: int,
    labelLimit: int,
    labelNameLengthLimit: int,
    labelValueLengthLimit: int,
    keepDroppedTargets: int,
    attachMetadata: { type: 'object', properties: { node: bool } },
  },
  required: ['selector', 'endpoints'],
};

function typeOk(type, value) {
  switch (type) {
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'int-or-string':
      return Number.isInteger(value) || typeof value === 'string';
    default:
      return typeof value === type;
  }
}

function checkAgainst(schema, value, path, errors) {
  if (!typeOk(schema.type, value)) {
    errors.push(`${path || '/'} must be ${schema.type}`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push(`${path} must be one of ${schema.enum.join(', ')}`);
  }
  if (schema.pattern && !schema.pattern.test(value)) {
    errors.push(`${path} does not match ${schema.pattern}`);
  }
  if (schema.items) value.forEach((item, i) => checkAgainst(schema.items, item, `${path}/${i}`, errors));
  if (schema.type !== 'object' || schema.open) return;
  for (const key of schema.required ?? []) {
    if (!(key in value)) errors.push(`${path}/${key} is required`);
  }
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.values ?? schema.properties?.[key];
    if (!childSchema) {
      errors.push(`unknown field ${path}/${key}`);
    } else {
      checkAgainst(childSchema, child, `${path}/${key}`, errors);
    }
  }
}

function checkServiceMonitor(obj) {
  const errors = [];
  for (const key of Object.keys(obj)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec'].includes(key)) errors.push(`unknown field /${key}`);
  }
  // The metadata is an ordinary ObjectMeta: check it with the real schema.
  const { ObjectMeta } = require('@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta');
  errors.push(...checkWithModel(ObjectMeta, obj.metadata ?? {}).map((e) => e.replace(/ \//, ' /metadata/')));
  checkAgainst(serviceMonitorSpec, obj.spec, '/spec', errors);
  return errors;
}

// --- driver -------------------------------------------------------------------

function checkObject(obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return ['not an object'];
  const errors = [];
  if (!obj.metadata?.name) errors.push('metadata.name is missing');
  if (obj.apiVersion === 'monitoring.coreos.com/v1' && obj.kind === 'ServiceMonitor') {
    return errors.concat(checkServiceMonitor(obj));
  }
  const Model = modelFor(obj.apiVersion, obj.kind);
  if (!Model) return errors.concat([`no schema known for ${obj.apiVersion} ${obj.kind}`]);
  return errors.concat(checkWithModel(Model, obj));
}

function parseDocuments(text, origin) {
  const docs = YAML.parseAllDocuments(text);
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${origin}: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj !== null) objects.push(obj);
  }
  return objects;
}

function validateFiles(files) {
  let failures = 0;
  for (const file of files) {
    const objects = parseDocuments(readFileSync(file, 'utf8'), file);
    if (objects.length === 0) {
      console.log(`FAIL ${file}: no objects`);
      failures++;
    }
    for (const obj of objects) {
      const name = `${file}: ${obj?.kind}/${obj?.metadata?.name}`;
      const errors = checkObject(obj);
      if (errors.length === 0) {
        console.log(`ok   ${name}`);
      } else {
        failures++;
        for (const error of errors) console.log(`FAIL ${name}: ${error}`);
      }
    }
  }
  return failures === 0;
}

// Each case must produce an error containing `expect` (or none when null).
function selfTest() {
  const deployment = (container) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { a: 'b' } },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: {
        metadata: { labels: { a: 'b' } },
        spec: { containers: [{ name: 'c', image: 'i', ...container }] },
      },
    },
  });
  const monitor = (endpoints) => ({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'm' },
    spec: { selector: { matchLabels: { a: 'b' } }, endpoints },
  });
  const cases = [
    ['valid Deployment', deployment({ readinessProbe: { grpc: { port: 50051 } } }), null],
    ['misspelt nested field', deployment({ readinessProbe: { grpcc: { port: 50051 } } }),
      'unknown field /spec/template/spec/containers/0/readinessProbe/grpcc'],
    ['unknown metadata field', { ...deployment({}), metadata: { name: 'd', label: {} } },
      'unknown field /metadata/label'],
    ['wrong type', deployment({ ports: [{ containerPort: 'grpc' }] }), 'must be integer'],
    ['unknown kind', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      'no schema known'],
    ['valid ServiceMonitor', monitor([{ port: 'metrics', interval: '30s' }]), null],
    ['ServiceMonitor unknown field', monitor([{ port: 'metrics', intervall: '30s' }]),
      'unknown field /spec/endpoints/0/intervall'],
    ['ServiceMonitor bad duration', monitor([{ port: 'metrics', interval: '30 seconds' }]),
      'does not match'],
    ['ServiceMonitor unknown metadata field', { ...monitor([]), metadata: { name: 'm', nam: 'x' } },
      'unknown field /metadata/nam'],
  ];
  let failures = 0;
  for (const [title, obj, expect] of cases) {
    const errors = checkObject(obj);
    const ok = expect === null ? errors.length === 0 : errors.some((e) => e.includes(expect));
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${title}: ${errors.length ? errors.join('; ') : 'no errors'}`);
    if (!ok) failures++;
  }
  return failures === 0;
}

if (args[0] === '--self-test') {
  process.exit(selfTest() ? 0 : 1);
}
if (args.length === 0) usage();
process.exit(validateFiles(args) ? 0 : 1);
