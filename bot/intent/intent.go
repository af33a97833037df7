// Package intent understands a resident's first message when no keyword,
// menu key or QR scene claimed it: it segments the text into words
// (github.com/go-ego/gse, after traditional characters are made simplified
// with github.com/longbridgeapp/opencc), scores each registered intent by
// the words of its vocabulary found there, and says how sure it is.
//
// It does not act on what it finds: bot.Router decides, from the Band,
// whether to start what the intent names, to ask which of two was meant,
// or to show the menu. It imports nothing of this module, so that its
// vocabularies come from the features that register them.
package intent

import (
	"fmt"
	"strings"
)

// Vocabulary is the words that suggest one intent.
type Vocabulary struct {
	// Intent names what the words suggest ("report:repair", "greeting").
	Intent string
	// Words are the terms of the vocabulary (the syntax, such as a
	// weight, is documented on New).
	Words []string
}

// Band is how sure a Result is.
type Band int

// Bands, from least to most sure.
const (
	// None: nothing recognised well enough; the resident gets the menu.
	None Band = iota
	// Unsure: an intent was recognised, but weakly or close to another;
	// the resident is asked.
	Unsure
	// Sure: act on the intent.
	Sure
)

// String names the band for metrics ("none", "unsure", "sure").
func (b Band) String() string {
	switch b {
	case Sure:
		return "sure"
	case Unsure:
		return "unsure"
	}
	return "none"
}

// Hit is one word that counted, for explaining a Result.
type Hit struct {
	Word   string
	Intent string
	Weight float64
	// Negated is set when the word was said in the negative ("我不是要
	// 报修") and so did not count for its intent.
	Negated bool
}

// Result is what Classify understood of one message.
type Result struct {
	// Intent is the best intent; "" when no word of any vocabulary counted.
	Intent string
	Score  float64
	Band   Band
	// Second is the runner-up ("" when none) and its score: with Band
	// Unsure the router names both.
	Second      string
	SecondScore float64
	// Hits are the words that counted, in the order found.
	Hits []Hit
}

// Explain says which words counted, for logs and tests.
func (r Result) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %.2f (%s)", r.Intent, r.Score, r.Band)
	if r.Second != "" {
		fmt.Fprintf(&b, " over %s %.2f", r.Second, r.SecondScore)
	}
	for _, h := range r.Hits {
		neg := ""
		if h.Negated {
			neg = "!"
		}
		fmt.Fprintf(&b, " %s%s→%s", neg, h.Word, h.Intent)
	}
	return b.String()
}

// Classifier scores messages against a fixed set of vocabularies. It is
// safe for concurrent use.
type Classifier struct {
	vocab []Vocabulary
}

// New returns a Classifier over vs. An intent may appear in several
// vocabularies (a feature's words and the operator's); their words add up.
// Returns an error for an empty intent name or word.
func New(vs []Vocabulary) (*Classifier, error) {
	for _, v := range vs {
		if v.Intent == "" {
			return nil, fmt.Errorf("intent: a vocabulary has no intent name")
		}
		for _, w := range v.Words {
			if strings.TrimSpace(w) == "" {
				return nil, fmt.Errorf("intent: %s has an empty word", v.Intent)
			}
		}
	}
	return &Classifier{vocab: vs}, nil
}

// Classify scores text. SEAM: a substring count the scorer replaces.
func (c *Classifier) Classify(text string) Result {
	scores := map[string]float64{}
	var res Result
	for _, v := range c.vocab {
		for _, w := range v.Words {
			if strings.Contains(text, w) {
				scores[v.Intent]++
				res.Hits = append(res.Hits, Hit{Word: w, Intent: v.Intent, Weight: 1})
			}
		}
	}
	for name, s := range scores {
		switch {
		case s > res.Score || (s == res.Score && name < res.Intent):
			res.Second, res.SecondScore = res.Intent, res.Score
			res.Intent, res.Score = name, s
		case s > res.SecondScore || (s == res.SecondScore && name < res.Second):
			res.Second, res.SecondScore = name, s
		}
	}
	switch {
	case res.Score >= 1 && res.Score > res.SecondScore:
		res.Band = Sure
	case res.Score >= 1:
		res.Band = Unsure
	}
	return res
}
