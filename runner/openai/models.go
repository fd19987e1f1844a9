package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Models lists the models the server serves (GET /v1/models), so a run can
// default to the server's only model. cfg.Model is ignored.
func Models(ctx context.Context, cfg Config) ([]string, error) {
	cfg.Model = "(listing models)"
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = c.send(ctx, http.MethodGet, c.base+"/models", nil, func(b []byte) error {
		var list struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &list); err != nil {
			return &badResponse{err}
		}
		for _, m := range list.Data {
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	return ids, nil
}
