import { countSegments } from '../../domain/segments';

const EMOJI = '😀'; // one code point, two UTF-16 code units

describe('countSegments', () => {
  it('counts an empty body as one GSM-7 segment, like Twilio', () => {
    expect(countSegments('')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 0 });
  });

  describe('GSM-7', () => {
    it('fits 160 characters in one segment and splits at 161', () => {
      expect(countSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
      expect(countSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2, characters: 161 });
    });

    it('uses 153 characters per part once concatenated', () => {
      expect(countSegments('a'.repeat(153 * 2)).segments).toBe(2);
      expect(countSegments('a'.repeat(153 * 2 + 1)).segments).toBe(3);
      expect(countSegments('a'.repeat(153 * 3)).segments).toBe(3);
    });

    it('keeps accented letters and Greek capitals of the basic set in GSM-7', () => {
      expect(countSegments('Ciao è già ΔΦΓ £5 ¿¡ Ñ ü @ _')).toMatchObject({ encoding: 'GSM-7' });
    });

    it('counts extension characters as two septets', () => {
      expect(countSegments('€')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 2 });
      expect(countSegments('[]{}~^|\\\f')).toMatchObject({ characters: 18 });
      expect(countSegments('a'.repeat(158) + '€')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
      expect(countSegments('a'.repeat(159) + '€')).toEqual({ encoding: 'GSM-7', segments: 2, characters: 161 });
    });

    it('never splits an escape pair across parts', () => {
      // 306 septets is 2 x 153 by arithmetic, but € arrives when part one holds 152:
      // the pair moves whole to part two, which then overflows by one septet.
      expect(countSegments('a'.repeat(152) + '€' + 'a'.repeat(152))).toEqual({
        encoding: 'GSM-7',
        segments: 3,
        characters: 306,
      });
      // The same 306 septets with the pair exactly filling part one need only 2 parts.
      expect(countSegments('a'.repeat(151) + '€' + 'a'.repeat(153)).segments).toBe(2);
    });

    it('treats line breaks as ordinary GSM-7 characters', () => {
      expect(countSegments('a\r\nb\nc')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 6 });
    });
  });

  describe('UCS-2', () => {
    it('switches to UCS-2 for any character outside GSM-7', () => {
      expect(countSegments('Confermato ✓')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 12 });
      // Lower-case ç is not in GSM-7 (only Ç is), nor are curly quotes.
      expect(countSegments('ç').encoding).toBe('UCS-2');
      expect(countSegments('“ok”').encoding).toBe('UCS-2');
    });

    it('fits 70 code units in one segment and splits at 71', () => {
      expect(countSegments('ж'.repeat(70))).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70 });
      expect(countSegments('ж'.repeat(71))).toEqual({ encoding: 'UCS-2', segments: 2, characters: 71 });
    });

    it('uses 67 code units per part once concatenated', () => {
      expect(countSegments('ж'.repeat(67 * 2)).segments).toBe(2);
      expect(countSegments('ж'.repeat(67 * 2 + 1)).segments).toBe(3);
    });

    it('counts an emoji as two code units', () => {
      expect(countSegments(EMOJI)).toEqual({ encoding: 'UCS-2', segments: 1, characters: 2 });
      expect(countSegments(EMOJI + 'a'.repeat(68))).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70 });
      expect(countSegments(EMOJI + 'a'.repeat(69))).toEqual({ encoding: 'UCS-2', segments: 2, characters: 71 });
    });

    it('counts GSM-7 characters as one code unit each once the body is UCS-2', () => {
      expect(countSegments('€' + 'ж')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 2 });
    });

    it('never splits a surrogate pair across parts', () => {
      // 66 units + emoji would need 68 in part one; the emoji moves whole to part two.
      expect(countSegments('a'.repeat(66) + EMOJI + 'ж'.repeat(65)).segments).toBe(2);
      expect(countSegments('a'.repeat(66) + EMOJI + 'ж'.repeat(66)).segments).toBe(3);
      // 67 emoji = 134 code units: arithmetic says 2 parts, but 33 pairs fill 66 units of each.
      expect(countSegments(EMOJI.repeat(67))).toEqual({ encoding: 'UCS-2', segments: 3, characters: 134 });
    });
  });
});
