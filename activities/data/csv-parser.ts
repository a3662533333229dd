/**
 * A streaming RFC 4180 CSV parser: comma-separated fields, records ended by CRLF, LF or a lone CR,
 * fields optionally enclosed in double quotes (which may then hold commas, line breaks and `""` for
 * a quote). Lenient where RFC 4180 is silent: a quote inside an unquoted field is kept as a
 * character, and empty lines are skipped. Strict where data would be lost: text after a closing
 * quote and an unterminated quoted field are errors. Records are handed to a callback with the
 * line they start on (1-based), so callers can name the line of a bad record.
 *
 * A record is bounded (`CsvLimits`): one longer than `maxRecordChars` characters (a huge field, or
 * a file without line breaks) or of more than `maxFields` fields fails as `DatasetInvalid` naming the
 * file, the line and the limit, instead of growing a string until the process runs out of memory
 * or V8's string limit (~512 MiB) throws a bare RangeError.
 */
import { DataError } from '../../common/failures';

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** Just after a quote inside a quoted field: `""`, or the end of the field. */
  QuoteInQuoted,
}

/** How large one record may be. */
export interface CsvLimits {
  /** @default DEFAULT_CSV_LIMITS.maxRecordChars (64 Mi characters) */
  maxRecordChars?: number;
  /** @default DEFAULT_CSV_LIMITS.maxFields (100,000) */
  maxFields?: number;
}

/** The limits of a record unless a caller gives others: far above any tabular data. */
export const DEFAULT_CSV_LIMITS: Required<CsvLimits> = { maxRecordChars: 64 * 1024 * 1024, maxFields: 100_000 };

/** Receives one record: its fields and the line it starts on. */
export type RecordHandler = (fields: string[], line: number) => void;

/** Push-based CSV parser over decoded text. */
export class CsvParser {
  private state = State.FieldStart;
  private field = '';
  private fields: string[] = [];
  private quotedRecord = false;
  private line = 1;
  private recordLine = 1;
  private skipLf = false;
  /** Characters of the record so far, its delimiters included. */
  private recordChars = 0;
  private readonly maxRecordChars: number;
  private readonly maxFields: number;

  constructor(
    private readonly file: string,
    private readonly onRecord: RecordHandler,
    limits: CsvLimits = {},
  ) {
    this.maxRecordChars = limits.maxRecordChars ?? DEFAULT_CSV_LIMITS.maxRecordChars;
    this.maxFields = limits.maxFields ?? DEFAULT_CSV_LIMITS.maxFields;
  }

  /** Parses the next piece of text (any split, even inside a field or a CRLF). */
  push(text: string): void {
    const n = text.length;
    let i = 0;
    if (this.skipLf && n > 0) {
      this.skipLf = false;
      if (text.charCodeAt(0) === LF) i = 1;
    }
    while (i < n) {
      switch (this.state) {
        case State.FieldStart:
          if (text.charCodeAt(i) === QUOTE) {
            this.state = State.Quoted;
            this.quotedRecord = true;
            i++;
          } else {
            this.state = State.Unquoted;
          }
          break;
        case State.Unquoted: {
          let j = i;
          let c = 0;
          while (j < n && (c = text.charCodeAt(j)) !== COMMA && c !== LF && c !== CR) j++;
          this.grow(j - i);
          this.field += text.slice(i, j);
          if (j === n) return;
          i = this.delimiter(text, j);
          break;
        }
        case State.Quoted: {
          const j = text.indexOf('"', i);
          const end = j === -1 ? n : j;
          this.grow(end - i);
          const piece = text.slice(i, end);
          this.line += countLineBreaks(piece);
          this.field += piece;
          if (j === -1) return;
          this.state = State.QuoteInQuoted;
          i = j + 1;
          break;
        }
        case State.QuoteInQuoted: {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            i++;
          } else if (c === COMMA || c === LF || c === CR) {
            i = this.delimiter(text, i);
          } else {
            throw this.invalid(`line ${this.line}: unexpected character after a closing quote`);
          }
          break;
        }
      }
    }
  }

  /** Ends the input: flushes the last record; an open quoted field is an error. */
  end(): void {
    if (this.state === State.Quoted) {
      throw this.invalid(`line ${this.recordLine}: a quoted field is never closed`);
    }
    if (this.state === State.FieldStart && this.fields.length > 0) this.fields.push(''); // "a,b," at the very end
    if (this.state !== State.FieldStart || this.fields.length > 0) this.endRecord();
  }

  /** Counts `chars` more characters of the current record; `DatasetInvalid` past the limit. */
  private grow(chars: number): void {
    this.recordChars += chars;
    if (this.recordChars > this.maxRecordChars) {
      throw this.tooLarge(
        `a record longer than ${this.maxRecordChars} characters (the limit of one CSV record: a field that large, or a file without line breaks, is not tabular data)`,
        { limit: this.maxRecordChars },
      );
    }
  }

  /** Handles the comma or line break at `i`; returns the index after it. */
  private delimiter(text: string, i: number): number {
    this.grow(1);
    if (this.fields.length >= this.maxFields) {
      throw this.tooLarge(`a record of more than ${this.maxFields} fields (the limit of one CSV record)`, {
        limit: this.maxFields,
      });
    }
    this.fields.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
    const c = text.charCodeAt(i);
    if (c === COMMA) return i + 1;
    this.endRecord();
    this.line++;
    this.recordLine = this.line;
    if (c === CR) {
      if (i + 1 === text.length) this.skipLf = true;
      else if (text.charCodeAt(i + 1) === LF) return i + 2;
    }
    return i + 1;
  }

  private endRecord(): void {
    if (this.state !== State.FieldStart) {
      this.fields.push(this.field);
      this.field = '';
      this.state = State.FieldStart;
    }
    const fields = this.fields;
    const quoted = this.quotedRecord;
    this.recordChars = 0;
    this.fields = [];
    this.quotedRecord = false;
    if (fields.length === 1 && fields[0] === '' && !quoted) return; // an empty line
    this.onRecord(fields, this.recordLine);
  }

  private tooLarge(message: string, details: { limit: number }): DataError {
    return new DataError('DatasetInvalid', `${this.file} line ${this.recordLine}: ${message}`, {
      file: this.file,
      line: this.recordLine,
      ...details,
    });
  }

  private invalid(message: string): DataError {
    return new DataError('DatasetInvalid', `${this.file}: ${message}`, { file: this.file });
  }
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
