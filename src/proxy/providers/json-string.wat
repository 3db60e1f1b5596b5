;; The body of a JSON string read 16 bytes at a time (issue 11): json-string-stretch.ts copies a
;; stretch of it into memory and calls `scan`. A long answer's deltas are mostly plain text, and
;; reading them escape by escape in JavaScript (a native indexOf call each) was most of what the
;; proxy spent on a big stream. Compiled into json-string-wasm.ts by `npm run build:wasm`.
(module
  ;; memory[0, 256): a class for each byte value. memory[256, …): the stretch to read.
  (memory (export "memory") 2)
  ;; Class bit 1: may follow a backslash as a one-letter escape (" \ / b f n r t).
  ;; Class bit 2: a hex digit (0-9 A-F a-f).
  (data (i32.const 0x22) "\01")
  (data (i32.const 0x2f) "\01")
  (data (i32.const 0x30) "\02\02\02\02\02\02\02\02\02\02")
  (data (i32.const 0x41) "\02\02\02\02\02\02")
  (data (i32.const 0x5c) "\01")
  (data (i32.const 0x61) "\02\03\02\02\02\03")
  (data (i32.const 0x6e) "\01")
  (data (i32.const 0x72) "\01")
  (data (i32.const 0x74) "\01")

  ;; What the last scan read of memory[start, stop): its UTF-16 code units (an escape is one), and
  ;; flags: bit 0 a raw control character, bit 1 a byte over 0x7f, bits 8-9 why it stopped
  ;; (0 the end, 1 a quote not escaped, 2 an escape the end cuts, 3 an escape JSON does not allow).
  (global $units (export "units") (mut i32) (i32.const 0))
  (global $flags (export "flags") (mut i32) (i32.const 0))

  (func $isHex (param $at i32) (result i32)
    (i32.and (i32.load8_u (i32.load8_u (local.get $at))) (i32.const 2)))

  ;; Reads memory[start, end) up to the first quote not escaped, an escape cut by `end` or a bad
  ;; one; returns where it stopped (the quote's or the escape's backslash's index, or `end`).
  (func (export "scan") (param $start i32) (param $end i32) (result i32)
    (local $p i32) (local $v v128) (local $special i32) (local $high i32) (local $k i32)
    (local $lanes i32) (local $continuations i32) (local $fourBytes i32) (local $escapeBytes i32)
    (local $flags i32) (local $b i32) (local $why i32)
    (local.set $p (local.get $start))
    (block $stop
      (loop $next
        (if (i32.le_u (i32.add (local.get $p) (i32.const 16)) (local.get $end))
          (then
            ;; 16 bytes at once: a mask of their quotes, backslashes and control characters.
            (local.set $v (v128.load (local.get $p)))
            (local.set $special (i8x16.bitmask (v128.or
              (v128.or (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
                       (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))
              (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20))))))
            (local.set $high (i8x16.bitmask (local.get $v)))
            ;; Control characters and one-letter escapes inside the 16 are read off the mask (an
            ;; escape every ~20 bytes in source code); anything else (a quote, a \u, an escape the
            ;; 16 cut) stops at lane k for the byte-at-a-time code below. k is 16 when none did.
            (local.set $k (i32.const 16))
            (block $lanesDone
              (loop $lane
                (br_if $lanesDone (i32.eqz (local.get $special)))
                (local.set $k (i32.ctz (local.get $special)))
                (local.set $b (i32.load8_u (i32.add (local.get $p) (local.get $k))))
                (if (i32.lt_u (local.get $b) (i32.const 0x20))
                  (then
                    (local.set $flags (i32.or (local.get $flags) (i32.const 1)))
                    (local.set $special (i32.and (local.get $special) (i32.sub (local.get $special) (i32.const 1))))
                    (local.set $k (i32.const 16))
                    (br $lane)))
                (br_if $lanesDone (i32.ne (local.get $b) (i32.const 0x5c)))
                (br_if $lanesDone (i32.ge_u (local.get $k) (i32.const 15)))
                (br_if $lanesDone (i32.eqz (i32.and (i32.load8_u (i32.load8_u (i32.add (i32.add (local.get $p) (local.get $k)) (i32.const 1)))) (i32.const 1))))
                (local.set $escapeBytes (i32.add (local.get $escapeBytes) (i32.const 1)))
                ;; Clear the mask up to the letter, which may be a quote or a backslash itself.
                (local.set $special (i32.and (local.get $special) (i32.sub (i32.const 0) (i32.shl (i32.const 4) (local.get $k)))))
                (local.set $k (i32.const 16))
                (br $lane)))
            ;; Count the UTF-8 bytes before lane k that are not one unit each.
            (if (local.get $high)
              (then
                (local.set $lanes (i32.sub (i32.shl (i32.const 1) (local.get $k)) (i32.const 1)))
                (if (i32.and (local.get $high) (local.get $lanes))
                  (then
                    (local.set $flags (i32.or (local.get $flags) (i32.const 2)))
                    ;; A continuation byte (10xxxxxx) adds no unit; a 4-byte lead (11110xxx) two.
                    (local.set $continuations (i32.add (local.get $continuations) (i32.popcnt (i32.and (local.get $lanes)
                      (i8x16.bitmask (i8x16.eq (v128.and (local.get $v) (i8x16.splat (i32.const 0xc0)))
                                               (i8x16.splat (i32.const 0x80))))))))
                    (local.set $fourBytes (i32.add (local.get $fourBytes) (i32.popcnt (i32.and (local.get $lanes)
                      (i8x16.bitmask (i8x16.ge_u (local.get $v) (i8x16.splat (i32.const 0xf0))))))))))))
            (local.set $p (i32.add (local.get $p) (local.get $k)))
            (br_if $next (i32.eq (local.get $k) (i32.const 16))))
          (else
            ;; The last bytes, one at a time.
            (if (i32.ge_u (local.get $p) (local.get $end))
              (then (local.set $why (i32.const 0)) (br $stop)))
            (local.set $b (i32.load8_u (local.get $p)))
            (if (i32.and (i32.ne (local.get $b) (i32.const 0x22))
                  (i32.and (i32.ne (local.get $b) (i32.const 0x5c)) (i32.ge_u (local.get $b) (i32.const 0x20))))
              (then
                (if (i32.ge_u (local.get $b) (i32.const 0x80))
                  (then
                    (local.set $flags (i32.or (local.get $flags) (i32.const 2)))
                    (local.set $continuations (i32.add (local.get $continuations)
                      (i32.eq (i32.and (local.get $b) (i32.const 0xc0)) (i32.const 0x80))))
                    (local.set $fourBytes (i32.add (local.get $fourBytes) (i32.ge_u (local.get $b) (i32.const 0xf0))))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $next)))))
        ;; memory[p] is a quote, a backslash or a control character the 16-byte step left.
        (local.set $b (i32.load8_u (local.get $p)))
        (if (i32.eq (local.get $b) (i32.const 0x22))
          (then (local.set $why (i32.const 1)) (br $stop)))
        (if (i32.lt_u (local.get $b) (i32.const 0x20))
          (then
            (local.set $flags (i32.or (local.get $flags) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $next)))
        (if (i32.ge_u (i32.add (local.get $p) (i32.const 1)) (local.get $end))
          (then (local.set $why (i32.const 2)) (br $stop)))
        (local.set $b (i32.load8_u (i32.add (local.get $p) (i32.const 1))))
        (if (i32.and (i32.load8_u (local.get $b)) (i32.const 1))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (local.set $escapeBytes (i32.add (local.get $escapeBytes) (i32.const 1)))
            (br $next)))
        (if (i32.ne (local.get $b) (i32.const 0x75))
          (then (local.set $why (i32.const 3)) (br $stop)))
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 6)) (local.get $end))
          (then (local.set $why (i32.const 2)) (br $stop)))
        (if (i32.eqz (i32.and
              (i32.and (call $isHex (i32.add (local.get $p) (i32.const 2))) (call $isHex (i32.add (local.get $p) (i32.const 3))))
              (i32.and (call $isHex (i32.add (local.get $p) (i32.const 4))) (call $isHex (i32.add (local.get $p) (i32.const 5))))))
          (then (local.set $why (i32.const 3)) (br $stop)))
        (local.set $p (i32.add (local.get $p) (i32.const 6)))
        (local.set $escapeBytes (i32.add (local.get $escapeBytes) (i32.const 5)))
        (br $next)))
    (global.set $units (i32.add
      (i32.sub (i32.sub (local.get $p) (local.get $start)) (i32.add (local.get $continuations) (local.get $escapeBytes)))
      (local.get $fourBytes)))
    (global.set $flags (i32.or (local.get $flags) (i32.shl (local.get $why) (i32.const 8))))
    (local.get $p))
)
