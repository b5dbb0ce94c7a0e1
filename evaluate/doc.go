// Package evaluate measures CLIP models the way the CLIP paper does: zero-shot accuracy
// (top-1, top-5, mean per class, confusions), linear probes on frozen image features
// (logistic regression fitted with gonum's L-BFGS, its L2 strength chosen on a validation
// split), k-shot probes against zero-shot, and accuracy under distribution shift against
// accuracy on a reference set. It works on labelled image sets (Set: a class-per-folder
// tree, a WebDataset shard or a CSV) and caches image features on disk per (model, set).
// It draws the paper's charts with gonum/plot and writes markdown tables.
//
// cmd/clip's `clip eval` is its command line; this package holds the logic so that the
// command stays thin and the logic is tested on small generated sets.
package evaluate
