"""The web server's worker (`lawtrail serve`): gunicorn's threaded worker, taking a new
connection only while one of its threads is free.

gunicorn's own gthread worker accepts every connection it can (up to 1,000 a process), and
a kept-alive connection stays with the process that accepted it. Under load, connections
opened together gathered on a few processes, each computing pages on one core at a time
(its threads share one interpreter lock) while the others idled: replaying the load bench,
the server used 0.96 of 2 cores and served 44.5 case pages a second, against 78-86 from a
server whose connections happened to spread. Capping the connections a process holds
(gunicorn's --worker-connections) spreads them too, but an idle kept-alive connection then
holds a place, and users pausing between pages waited 0.7 s (p95) for one. Here a process
stops accepting while all its threads are busy and takes connections again as soon as one
is free; its idle connections do not count, so the queue waits in the kernel's backlog for
whichever process frees a thread first.
"""

from gunicorn.workers.gthread import ThreadWorker


class SpreadWorker(ThreadWorker):
    def init_process(self):
        self.in_flight = 0  # requests handed to the threads and not finished
        super().init_process()

    def enqueue_req(self, conn):
        self.in_flight += 1
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self.in_flight -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self.in_flight < self.cfg.threads)

    def wait_for_and_dispatch_events(self, timeout):
        """Asked again on every turn of the loop (a request finishing is one): at most one
        connection is accepted a turn, so a process takes no more than it has threads for."""
        self.set_accept_enabled(self.nr_conns < self.worker_connections)
        super().wait_for_and_dispatch_events(timeout)
