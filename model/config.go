package model

import "github.com/clip-go/clip/model/arch"

// Config is the model's architecture (see package arch).
type Config = arch.Config
