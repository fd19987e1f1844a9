//go:build !linux

package sandbox

import "context"

// HelperArg is unused off Linux.
const HelperArg = "__parity-sandbox-helper"

// Sandbox is unavailable off Linux.
type Sandbox struct{}

// New fails off Linux.
func New(ctx context.Context, cfg Config) (*Sandbox, error) { return nil, ErrUnsupported }

// Isolation is empty off Linux.
func (s *Sandbox) Isolation() Isolation { return Isolation{} }

// Python is empty off Linux.
func (s *Sandbox) Python() string { return "" }

// Close does nothing off Linux.
func (s *Sandbox) Close() error { return nil }

// Run fails off Linux.
func (s *Sandbox) Run(ctx context.Context, p Program) (*Result, error) { return nil, ErrUnsupported }
