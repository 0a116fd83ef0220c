/*
 * gate_output.h: what CI users read of a gate, rendered from its result:
 * a Markdown table (the job summary), JUnit XML (one testcase per target; a
 * regression is a failure with the figures), JSON, and GitHub workflow
 * annotations (::error / ::warning lines). Each renders into a buf; the
 * command decides where it goes.
 */
#ifndef OPTIMIZE_GATE_OUTPUT_H
#define OPTIMIZE_GATE_OUTPUT_H

#include "base/buf.h"
#include "gate/gate.h"

/* "pass", "regression", "broken", "cannot measure", "incomplete". */
const char *gate_status_name(enum gate_status s);

/* One line per target: "regressed: 20.1% slower, ratio 1.201, 95% CI [1.19, 1.21] ...". */
void gate_target_summary(const struct gate_target *t, struct buf *out);

void gate_render_markdown(const struct gate_result *r, int inconclusive_fails, struct buf *out);
void gate_render_junit(const struct gate_result *r, int inconclusive_fails, struct buf *out);
/* JSON (pretty), with a trailing newline. */
void gate_render_json(const struct gate_result *r, int inconclusive_fails, struct buf *out);
void gate_render_annotations(const struct gate_result *r, int inconclusive_fails, struct buf *out);

#endif
