// The few functions of the `radius` package (no published types) that checks/radius.ts uses.
declare module "radius" {
  type Attribute = [string | number, unknown, ...unknown[]];
  interface EncodeArgs {
    code: string;
    secret: string;
    identifier?: number;
    attributes?: Attribute[] | Record<string, unknown>;
    add_message_authenticator?: boolean;
  }
  interface Decoded {
    code: string;
    identifier: number;
    length: number;
    attributes: Record<string, unknown>;
  }
  const radius: {
    encode(args: EncodeArgs): Buffer;
    decode(args: { packet: Buffer; secret: string }): Decoded;
  };
  export default radius;
}
