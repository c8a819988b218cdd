/**
 * The QR code of a passphrase, as a grid of dark modules, drawn by the popup as an SVG (qrcode-generator computes
 * it). The text is encoded as UTF-8 bytes, so a passphrase in any script scans back as typed.
 */
import qrcode from 'qrcode-generator';

export interface QrMatrix {
  /** Modules per side. */
  size: number;
  /** One SVG path (unit squares) of every dark module. */
  path: string;
}

export function qrMatrix(text: string): QrMatrix {
  const code = qrcode(0, 'M');
  // qrcode-generator's byte mode takes one byte per character code: hand it the UTF-8 bytes as such characters.
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  code.addData(binary, 'Byte');
  code.make();
  const size = code.getModuleCount();
  let path = '';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) if (code.isDark(row, col)) path += `M${col} ${row}h1v1h-1z`;
  }
  binary = '';
  bytes.fill(0);
  return { size, path };
}
