mod batch;
mod credentials;
mod resilience;
mod send;
mod sendmail;
mod docs;
