import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Element types the exporter writes (values of `onnx.TensorProto.DataType`). */
export type ElementType = 'float32' | 'int64';

const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

/** A dimension is either fixed or a named dynamic axis (e.g. `'batch'`). */
export type Dim = number | string;

/** Typed node attributes: plain JS numbers cannot say whether they are ints or floats. */
export type Attribute = { int: number } | { ints: readonly number[] } | { float: number };

/** IR version 8 is the one that goes with opset 17 (ONNX 1.12+). */
export const IR_VERSION = 8;

/**
 * Accumulates one ONNX graph (inputs, outputs, initializers, nodes) and serialises it as a
 * ModelProto with the protobuf schema bundled in `onnx-proto`.
 */
export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private nodeCount = 0;

  constructor(private readonly graphName: string) {}

  addInput(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  addOutput(name: string, type: ElementType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  hasValue(name: string): boolean {
    return this.usedNames.has(name);
  }

  addFloatInitializer(name: string, dims: readonly number[], values: Float32Array): string {
    return this.addInitializer(
      name,
      'float32',
      dims,
      new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    );
  }

  addInt64Initializer(name: string, dims: readonly number[], values: readonly number[]): string {
    const data = BigInt64Array.from(values, (value) => BigInt(value));
    return this.addInitializer(name, 'int64', dims, new Uint8Array(data.buffer));
  }

  /** Appends a node and returns the names of its outputs (fresh names unless given). */
  addNode(
    opType: string,
    inputs: readonly string[],
    options: { outputs?: number | readonly string[]; attributes?: Record<string, Attribute> } = {},
  ): string[] {
    const index = this.nodeCount++;
    const requested = options.outputs ?? 1;
    const outputs =
      typeof requested === 'number'
        ? Array.from({ length: requested }, (_, i) =>
            this.claim(this.availableName(`${opType}_${index}_out${i}`)),
          )
        : requested.map((name) => this.claim(name));
    this.nodes.push({
      name: `${opType}_${index}`,
      opType,
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(options.attributes ?? {}).map(([name, value]) => attribute(name, value)),
    });
    return outputs;
  }

  /** A name not yet used in this graph, derived from `base` (not reserved until used). */
  availableName(base: string): string {
    let name = base;
    for (let suffix = 1; this.usedNames.has(name); suffix++) name = `${base}_${suffix}`;
    return name;
  }

  toBytes(options: {
    opset: number;
    producer: string;
    producerVersion: string;
    docString?: string;
  }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: options.producer,
      producerVersion: options.producerVersion,
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: options.opset }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private addInitializer(
    name: string,
    type: ElementType,
    dims: readonly number[],
    rawData: Uint8Array,
  ): string {
    this.claim(name);
    // Copy: protobufjs keeps a reference, and callers may reuse their buffers.
    this.initializers.push({ name, dataType: DATA_TYPE[type], dims: [...dims], rawData: rawData.slice() });
    return name;
  }

  private claim(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`ONNX value name "${name}" is already used`);
    this.usedNames.add(name);
    return name;
  }
}

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function attribute(name: string, value: Attribute): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  return { name, type: AttributeType.FLOAT, f: value.float };
}

/** Decodes a serialised model (used by tests and tools to inspect what was written). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
