package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// checkFooter walks the file's thrift-encoded footer (compact protocol)
// without decoding it, checking that every length it declares fits in the
// bytes that remain. parquet-go allocates lists at their declared length
// before reading them, so a corrupt footer claiming billions of elements
// would exhaust memory, a failure recover cannot catch.
func checkFooter(data []byte) error {
	if len(data) < 12 {
		return errors.New("not a parquet file (too short)")
	}
	n := binary.LittleEndian.Uint32(data[len(data)-8:])
	if int64(n) > int64(len(data)-12) {
		return fmt.Errorf("corrupt parquet file: footer length %d exceeds file size %d", n, len(data))
	}
	footer := data[len(data)-8-int(n) : len(data)-8]
	s := thriftSkimmer{buf: footer}
	if err := s.skimStruct(0); err != nil {
		return fmt.Errorf("corrupt parquet file: footer: %w", err)
	}
	return nil
}

type thriftSkimmer struct {
	buf []byte
	pos int
}

const (
	tBoolTrue  = 1
	tBoolFalse = 2
	tByte      = 3
	tI16       = 4
	tI32       = 5
	tI64       = 6
	tDouble    = 7
	tBinary    = 8
	tList      = 9
	tSet       = 10
	tMap       = 11
	tStruct    = 12
	tUUID      = 13
	maxDepth   = 64
)

var errThriftShort = errors.New("declared length runs past its end")

func (s *thriftSkimmer) byte() (byte, error) {
	if s.pos >= len(s.buf) {
		return 0, errThriftShort
	}
	b := s.buf[s.pos]
	s.pos++
	return b, nil
}

func (s *thriftSkimmer) varint() (uint64, error) {
	v, n := binary.Uvarint(s.buf[s.pos:])
	if n <= 0 {
		return 0, errors.New("bad varint")
	}
	s.pos += n
	return v, nil
}

func (s *thriftSkimmer) skip(n uint64) error {
	if n > uint64(len(s.buf)-s.pos) {
		return errThriftShort
	}
	s.pos += int(n)
	return nil
}

// count checks that n elements of at least minSize bytes each can fit.
func (s *thriftSkimmer) count(n uint64, minSize int) error {
	if n > uint64(len(s.buf)-s.pos)/uint64(minSize) {
		return fmt.Errorf("%d elements declared in %d bytes", n, len(s.buf)-s.pos)
	}
	return nil
}

func (s *thriftSkimmer) skimStruct(depth int) error {
	if depth > maxDepth {
		return errors.New("nested too deep")
	}
	for {
		h, err := s.byte()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if h>>4 == 0 { // long form: the field id follows
			if _, err := s.varint(); err != nil {
				return err
			}
		}
		typ := h & 0x0f
		if typ == tBoolTrue || typ == tBoolFalse {
			continue // a struct field's boolean lives in its type nibble
		}
		if err := s.skimValue(typ, depth); err != nil {
			return err
		}
	}
}

func (s *thriftSkimmer) skimValue(typ byte, depth int) error {
	switch typ {
	case tBoolTrue, tBoolFalse, tByte:
		return s.skip(1)
	case tI16, tI32, tI64:
		_, err := s.varint()
		return err
	case tDouble:
		return s.skip(8)
	case tUUID:
		return s.skip(16)
	case tBinary:
		n, err := s.varint()
		if err != nil {
			return err
		}
		return s.skip(n)
	case tList, tSet:
		h, err := s.byte()
		if err != nil {
			return err
		}
		n, elem := uint64(h>>4), h&0x0f
		if n == 15 {
			if n, err = s.varint(); err != nil {
				return err
			}
		}
		if err := s.count(n, 1); err != nil {
			return err
		}
		for range n {
			if err := s.skimValue(elem, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tMap:
		n, err := s.varint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := s.byte()
		if err != nil {
			return err
		}
		if err := s.count(n, 2); err != nil {
			return err
		}
		for range n {
			if err := s.skimValue(kv>>4, depth+1); err != nil {
				return err
			}
			if err := s.skimValue(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tStruct:
		return s.skimStruct(depth + 1)
	}
	return fmt.Errorf("unknown thrift type %d", typ)
}
