/*
 * resolver.c - see resolver.h.  A queue of addresses under a mutex, a few
 * threads taking them, and a pipe carrying each finished job back to the
 * loop, which polls it with Squid's input.  The threads touch nothing but
 * their job: the policy and the loop's state are the loop's alone.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "resolver.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct job {
	struct job *next;
	char addr[48];
	char name[DEVICE_NAME_MAX + 1];
};

struct resolver {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct job *head, *tail;       /* waiting for a thread */
	size_t outstanding;            /* asked and not yet collected */
	bool stopping;
	int done[2];                   /* finished jobs, as pointers */
	pthread_t thread[RESOLVER_THREADS];
	int nthreads;
};

static void *work(void *arg)
{
	struct resolver *r = arg;

	for (;;) {
		struct job *j;

		pthread_mutex_lock(&r->lock);
		while (r->head == NULL && !r->stopping)
			pthread_cond_wait(&r->more, &r->lock);
		if (r->stopping) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		j = r->head;
		r->head = j->next;
		if (r->head == NULL)
			r->tail = NULL;
		pthread_mutex_unlock(&r->lock);
		if (!device_reverse_name(j->addr, j->name))
			j->name[0] = '\0';
		/* a pointer is written whole (less than PIPE_BUF), and the pipe
		 * holds more than RESOLVER_QUEUE_MAX of them: this never waits */
		while (write(r->done[1], &j, sizeof(j)) < 0 && errno == EINTR)
			;
	}
}

struct resolver *resolver_start(void)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if (pipe2(r->done, O_CLOEXEC | O_NONBLOCK) != 0) {
		free(r);
		return NULL;
	}
	/* the threads' end blocks: a full pipe waits rather than loses a job */
	fcntl(r->done[1], F_SETFL, 0);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->more, NULL);
	while (r->nthreads < RESOLVER_THREADS &&
	       pthread_create(&r->thread[r->nthreads], NULL, work, r) == 0)
		r->nthreads++;
	if (r->nthreads == 0) {
		resolver_stop(r);
		return NULL;
	}
	return r;
}

int resolver_fd(const struct resolver *r)
{
	return r->done[0];
}

bool resolver_ask(struct resolver *r, const char *addr)
{
	struct job *j;

	if (strlen(addr) >= sizeof(j->addr))
		return false;
	pthread_mutex_lock(&r->lock);
	if (r->outstanding >= RESOLVER_QUEUE_MAX || (j = calloc(1, sizeof(*j))) == NULL) {
		pthread_mutex_unlock(&r->lock);
		return false;
	}
	strcpy(j->addr, addr);
	if (r->tail != NULL)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	r->outstanding++;
	pthread_cond_signal(&r->more);
	pthread_mutex_unlock(&r->lock);
	return true;
}

bool resolver_collect(struct resolver *r, char *addr, char *name)
{
	struct job *j;
	ssize_t n;

	do
		n = read(r->done[0], &j, sizeof(j));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(j))
		return false;
	memcpy(addr, j->addr, sizeof(j->addr));
	memcpy(name, j->name, sizeof(j->name));
	free(j);
	pthread_mutex_lock(&r->lock);
	r->outstanding--;
	pthread_mutex_unlock(&r->lock);
	return true;
}

void resolver_stop(struct resolver *r)
{
	struct timespec deadline;
	bool all = true;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->more);
	pthread_mutex_unlock(&r->lock);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += 200 * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (int i = 0; i < r->nthreads; i++) {
		if (pthread_timedjoin_np(r->thread[i], NULL, &deadline) != 0) {
			pthread_detach(r->thread[i]);
			all = false;
		}
	}
	if (!all)
		return;   /* a thread waits on the resolver: it ends with the process, r with it */
	while (r->head != NULL) {
		struct job *j = r->head;

		r->head = j->next;
		free(j);
	}
	for (struct job *j; read(r->done[0], &j, sizeof(j)) == (ssize_t)sizeof(j);)
		free(j);
	close(r->done[0]);
	close(r->done[1]);
	pthread_cond_destroy(&r->more);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
