import { AudioDecodeError } from './errors.js';

const CAPTURE = 'OggS';
const HEADER_BYTES = 27;
const FLAG_END_OF_STREAM = 0x04;

export interface OggVorbisInfo {
  sampleRate: number;
  channels: number;
  /** Samples per channel at the end of the logical stream, from the last page's granule position. */
  totalSamples: number;
}

export function isOgg(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]) === CAPTURE;
}

/**
 * Reads the Vorbis identification header and walks every page of the first logical stream, so
 * that the duration is known (and checked) before decoding, and a file cut short is reported as
 * such rather than decoded partially. Other codecs in Ogg (Opus, FLAC, Speex) are rejected.
 */
export function readOggVorbisInfo(bytes: Uint8Array): OggVorbisInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const firstPage = readPageHeader(bytes, view, 0);
  const identification = bytes.subarray(firstPage.bodyOffset, firstPage.bodyOffset + firstPage.bodyBytes);
  const { sampleRate, channels } = parseIdentification(identification);

  let offset = 0;
  let totalSamples = 0;
  let ended = false;
  while (offset < bytes.length && !ended) {
    const page = readPageHeader(bytes, view, offset);
    if (page.serial === firstPage.serial) {
      // -1 marks a page on which no packet ends; it carries no position.
      if (page.granule >= 0) totalSamples = page.granule;
      ended = (page.flags & FLAG_END_OF_STREAM) !== 0;
    }
    offset = page.bodyOffset + page.bodyBytes;
  }
  if (!ended) throw new AudioDecodeError('TRUNCATED', 'Ogg stream ends without its end-of-stream page');
  return { sampleRate, channels, totalSamples };
}

interface PageHeader {
  flags: number;
  granule: number;
  serial: number;
  bodyOffset: number;
  bodyBytes: number;
}

function readPageHeader(bytes: Uint8Array, view: DataView, offset: number): PageHeader {
  if (offset + HEADER_BYTES > bytes.length) {
    throw new AudioDecodeError('TRUNCATED', `Ogg file ends inside a page header at byte ${offset}`);
  }
  if (
    String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]) !== CAPTURE
  ) {
    throw new AudioDecodeError('DECODE_FAILED', `corrupt Ogg stream: no page starts at byte ${offset}`);
  }
  const segments = bytes[offset + 26];
  const bodyOffset = offset + HEADER_BYTES + segments;
  if (bodyOffset > bytes.length)
    throw new AudioDecodeError('TRUNCATED', `Ogg file ends inside a page header at byte ${offset}`);
  let bodyBytes = 0;
  for (let i = 0; i < segments; i++) bodyBytes += bytes[offset + HEADER_BYTES + i];
  if (bodyOffset + bodyBytes > bytes.length) {
    throw new AudioDecodeError('TRUNCATED', `Ogg file ends inside the page at byte ${offset}`);
  }
  const granuleLow = view.getUint32(offset + 6, true);
  const granuleHigh = view.getInt32(offset + 10, true);
  return {
    flags: bytes[offset + 5],
    granule: granuleHigh * 2 ** 32 + granuleLow,
    serial: view.getUint32(offset + 14, true),
    bodyOffset,
    bodyBytes,
  };
}

function parseIdentification(packet: Uint8Array): { sampleRate: number; channels: number } {
  const magic = String.fromCharCode(...packet.subarray(0, 8));
  if (magic.startsWith('OpusHead'))
    throw new AudioDecodeError('UNSUPPORTED_ENCODING', 'Ogg/Opus is not supported (Ogg/Vorbis only)');
  if (magic.startsWith('\x7fFLAC'))
    throw new AudioDecodeError('UNSUPPORTED_ENCODING', 'Ogg/FLAC is not supported (use plain .flac)');
  if (!magic.startsWith('\x01vorbis'))
    throw new AudioDecodeError('UNSUPPORTED_ENCODING', 'Ogg stream is not Vorbis (Ogg/Vorbis only)');
  if (packet.length < 16)
    throw new AudioDecodeError('INVALID_HEADER', 'Vorbis identification header is too short');
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return { channels: packet[11], sampleRate: view.getUint32(12, true) };
}
