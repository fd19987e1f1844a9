package zipcrypto

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// encrypt is the cipher's inverse (APPNOTE: encrypt with the same key
// stream, updating the keys with the plaintext), for building fixtures.
func encrypt(password, plain []byte) []byte {
	k := newKeys(password)
	out := make([]byte, len(plain))
	for i, c := range plain {
		out[i] = c ^ k.streamByte()
		k.update(c)
	}
	return out
}

// archive builds a zip whose members are encrypted with password.
func archive(t *testing.T, password string, members map[string]string, method uint16) *zip.Reader {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range members {
		var comp bytes.Buffer
		switch method {
		case zip.Deflate:
			fw, _ := flate.NewWriter(&comp, flate.BestCompression)
			fw.Write([]byte(content))
			fw.Close()
		default:
			comp.WriteString(content)
		}
		crc := crc32.ChecksumIEEE([]byte(content))
		// The header's last byte is the check byte; the rest is arbitrary.
		plain := append([]byte("0123456789a"), byte(crc>>24))
		plain = append(plain, comp.Bytes()...)
		hdr := &zip.FileHeader{Name: name, Method: method, Flags: 0x1, CRC32: crc,
			CompressedSize64: uint64(len(plain)), UncompressedSize64: uint64(len(content))}
		w, err := zw.CreateRaw(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(encrypt([]byte(password), plain))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

func TestReadFile(t *testing.T) {
	content := strings.Repeat("Question,Correct Answer\n\"What, exactly?\",42\n", 50)
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		zr := archive(t, "pw", map[string]string{"a.csv": content}, method)
		got, err := ReadFile(zr.File[0], []byte("pw"))
		if err != nil {
			t.Fatalf("method %d: %v", method, err)
		}
		if diff := cmp.Diff(content, string(got)); diff != "" {
			t.Errorf("method %d (-want +got):\n%s", method, diff)
		}
		if _, err := ReadFile(zr.File[0], []byte("wrong")); err == nil {
			t.Errorf("method %d: wrong password accepted", method)
		}
	}
}

func TestWrongPasswordCheckByte(t *testing.T) {
	zr := archive(t, "right", map[string]string{"x": "hello"}, zip.Store)
	raw, err := zr.File[0].OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	// "wrong" fails the check byte for this fixture (one password in 256
	// would pass it and then fail the CRC, which TestReadFile covers).
	if _, err := NewReader(raw, []byte("wrong"), byte(zr.File[0].CRC32>>24)); !errors.Is(err, ErrPassword) {
		t.Errorf("got %v, want ErrPassword", err)
	}
}

func FuzzNewReader(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), []byte("pw"), byte(0))
	f.Fuzz(func(t *testing.T, data, pw []byte, check byte) {
		r, err := NewReader(bytes.NewReader(data), pw, check)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		buf.ReadFrom(r)
		if buf.Len() != max(0, len(data)-headerLen) {
			t.Fatalf("%d plaintext bytes from %d", buf.Len(), len(data))
		}
	})
}
