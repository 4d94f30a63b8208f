//! The one integration-test binary (as ripgrep has): the real `nabla`
//! executable and the library's public API, one module per concern.

mod util;

mod adversarial;
mod cli;
mod document_corpus;
mod documents;
mod html_report;
mod latex_doc;
mod latex_out;
mod mutation;
mod project;
mod reference;
mod reliability;
mod verdicts;
