package jsonw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// MessageText reads a chat message's "content" as the OpenAI protocol allows
// it: a string, null, or a list of {"type": "text", "text": ...} parts, which
// are joined. Other part types (images, audio) are an error.
func MessageText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("content part of type %q is not supported", p.Type)
		}
		sb.WriteString(p.Text)
	}
	return sb.String(), nil
}
