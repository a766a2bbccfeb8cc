/** qrcode-terminal ships no types; this is the part hush uses. */
declare module 'qrcode-terminal' {
  interface Options {
    small?: boolean;
  }
  const qrcode: {
    generate(text: string, opts?: Options, cb?: (qr: string) => void): void;
    setErrorLevel(level: 'L' | 'M' | 'Q' | 'H'): void;
  };
  export default qrcode;
}
